import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { BusContext } from '@gad/bus';
import { CommonErrorCode } from '@gad/contracts';
import { DomainException } from '@gad/platform';

/** Envelope agency of internal calls made without a tenant (`BusClient.request` default). */
export const SYSTEM_AGENCY = 'system';

/**
 * Every geo RPC names the agency it reads or writes in `data.agencyId`; the request envelope names
 * the caller's agency. They must agree, unless the caller is an internal service acting for the
 * system, so a caller cannot reach another agency's rows by editing the payload.
 */
@Injectable()
export class AgencyScopeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const rpc = context.switchToRpc();
    const busContext = rpc.getContext<unknown>();
    if (!(busContext instanceof BusContext)) {
      return true;
    }
    const callerAgency = busContext.getEnvelope().agencyId;
    const data = rpc.getData<{ agencyId?: unknown } | null>();
    const requested = data?.agencyId;
    if (callerAgency === SYSTEM_AGENCY || requested === undefined || requested === callerAgency) {
      return true;
    }
    throw new DomainException(
      CommonErrorCode.Forbidden,
      403,
      'the request names another agency than the caller',
    );
  }
}
