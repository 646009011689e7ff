import { Injectable } from '@nestjs/common';
import type { Namespace } from 'socket.io';

/** The socket.io namespaces, set by the gateways once initialised; services emit through them. */
@Injectable()
export class NamespacesRegistry {
  dispatch?: Namespace;
  field?: Namespace;

  all(): Namespace[] {
    return [this.dispatch, this.field].filter((ns): ns is Namespace => ns !== undefined);
  }
}
