import { SetMetadata } from '@nestjs/common';

/** Metadata key set by {@link Public}; auth guards skip handlers and controllers carrying it. */
export const IS_PUBLIC_KEY = 'gad:is-public';

/** Marks a route or controller as reachable without authentication. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
