import { Controller } from '@nestjs/common';
import { Audited } from '@gad/audit';
import { operations, type AccessClaims, type SessionList } from '@gad/contracts';
import { CurrentUser, HttpOperation, OperationParams } from '@gad/platform';
import { MfaAuditActions } from './mfa.service';
import { SessionsService } from './sessions.service';

/** Sessions: the caller's own (list, end one), and an admin ending all of a user's. */
@Controller()
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @HttpOperation(operations.listMySessions)
  list(@CurrentUser() caller: AccessClaims): Promise<SessionList> {
    return this.sessions.listMine(caller);
  }

  @HttpOperation(operations.endMySession)
  @Audited({ action: MfaAuditActions.SessionEnded, objectType: 'session' })
  endMine(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.endMySession) params: { id: string },
  ): Promise<void> {
    return this.sessions.endMine(caller, params.id);
  }

  @HttpOperation(operations.endUserSessions)
  @Audited({ action: MfaAuditActions.SessionEnded, objectType: 'user' })
  endAllOf(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.endUserSessions) params: { id: string },
  ): Promise<void> {
    return this.sessions.endAllOf(caller, params.id);
  }
}
