import { Controller } from '@nestjs/common';
import { Audited } from '@gad/audit';
import {
  operations,
  type AccessClaims,
  type ConfirmTotpRequest,
  type MfaStatus,
  type RecoveryCodes,
  type TotpEnrolment,
} from '@gad/contracts';
import { CurrentUser, HttpOperation, OperationBody, OperationParams } from '@gad/platform';
import { MfaAuditActions, MfaService } from './mfa.service';

/** The caller's second factor (TOTP) and the admin's reset of a user's (docs/adr/0023). */
@Controller()
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @HttpOperation(operations.getMyMfa)
  status(@CurrentUser() caller: AccessClaims): Promise<MfaStatus> {
    return this.mfa.status(caller);
  }

  // The secret and the recovery codes are never kept in the audit trail.
  @HttpOperation(operations.enrolTotp)
  @Audited({ action: MfaAuditActions.EnrolmentStarted, objectType: 'user', captureResult: false })
  enrol(@CurrentUser() caller: AccessClaims): Promise<TotpEnrolment> {
    return this.mfa.enrol(caller);
  }

  @HttpOperation(operations.confirmTotp)
  @Audited({ action: MfaAuditActions.Enrolled, objectType: 'user', captureResult: false })
  confirm(
    @CurrentUser() caller: AccessClaims,
    @OperationBody(operations.confirmTotp) body: ConfirmTotpRequest,
  ): Promise<RecoveryCodes> {
    return this.mfa.confirm(caller, body.code);
  }

  @HttpOperation(operations.resetUserMfa)
  @Audited({ action: MfaAuditActions.Reset, objectType: 'user' })
  reset(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.resetUserMfa) params: { id: string },
  ): Promise<void> {
    return this.mfa.reset(caller, params.id);
  }
}
