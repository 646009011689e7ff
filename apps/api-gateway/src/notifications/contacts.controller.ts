import { Controller } from '@nestjs/common';
import { Audited } from '@gad/audit';
import {
  AuditActions,
  operations,
  type AccessClaims,
  type ContactSettings,
  type NotificationPreferencesRequest,
  type StartEmailVerificationRequest,
  type TelegramLink,
  type VerifyEmailRequest,
} from '@gad/contracts';
import { CurrentUser, HttpOperation, OperationBody, OperationParams } from '@gad/platform';
import { ContactsService } from './contacts.service';

type IdParams = { id: string };

/** `/v1/me/contacts...` (self) and `/v1/users/{id}/contacts...` (admin): paging set-up. */
@Controller()
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @HttpOperation(operations.getMyContacts)
  mine(@CurrentUser() caller: AccessClaims): Promise<ContactSettings> {
    return this.contacts.get(caller, caller.sub);
  }

  @HttpOperation(operations.createMyTelegramLink)
  // The code links a chat to the account: the audit keeps that it was issued, not the code.
  @Audited({ action: AuditActions.Created, objectType: 'telegram_link', captureResult: false })
  myTelegramLink(@CurrentUser() caller: AccessClaims): Promise<TelegramLink> {
    return this.contacts.telegramLink(caller, caller.sub);
  }

  @HttpOperation(operations.startMyEmailVerification)
  @Audited({ action: AuditActions.Updated, objectType: 'contact_email' })
  myEmail(
    @CurrentUser() caller: AccessClaims,
    @OperationBody(operations.startMyEmailVerification) body: StartEmailVerificationRequest,
  ): Promise<ContactSettings> {
    return this.contacts.startEmail(caller, caller.sub, body.email);
  }

  @HttpOperation(operations.verifyMyEmail)
  @Audited({ action: AuditActions.Updated, objectType: 'contact_email' })
  verifyMyEmail(
    @CurrentUser() caller: AccessClaims,
    @OperationBody(operations.verifyMyEmail) body: VerifyEmailRequest,
  ): Promise<ContactSettings> {
    return this.contacts.verifyEmail(caller, caller.sub, body.code);
  }

  @HttpOperation(operations.setMyNotificationPreferences)
  @Audited({ action: AuditActions.Updated, objectType: 'notification_preferences' })
  myPreferences(
    @CurrentUser() caller: AccessClaims,
    @OperationBody(operations.setMyNotificationPreferences) body: NotificationPreferencesRequest,
  ): Promise<ContactSettings> {
    return this.contacts.setPreferences(caller, caller.sub, body);
  }

  @HttpOperation(operations.getUserContacts)
  async ofUser(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.getUserContacts) params: IdParams,
  ): Promise<ContactSettings> {
    return this.contacts.get(caller, await this.contacts.ofAgencyUser(caller, params.id));
  }

  @HttpOperation(operations.createUserTelegramLink)
  @Audited({ action: AuditActions.Created, objectType: 'telegram_link', captureResult: false })
  async userTelegramLink(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.createUserTelegramLink) params: IdParams,
  ): Promise<TelegramLink> {
    return this.contacts.telegramLink(caller, await this.contacts.ofAgencyUser(caller, params.id));
  }

  @HttpOperation(operations.startUserEmailVerification)
  @Audited({ action: AuditActions.Updated, objectType: 'contact_email' })
  async userEmail(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.startUserEmailVerification) params: IdParams,
    @OperationBody(operations.startUserEmailVerification) body: StartEmailVerificationRequest,
  ): Promise<ContactSettings> {
    const userId = await this.contacts.ofAgencyUser(caller, params.id);
    return this.contacts.startEmail(caller, userId, body.email);
  }

  @HttpOperation(operations.setUserNotificationPreferences)
  @Audited({ action: AuditActions.Updated, objectType: 'notification_preferences' })
  async userPreferences(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.setUserNotificationPreferences) params: IdParams,
    @OperationBody(operations.setUserNotificationPreferences) body: NotificationPreferencesRequest,
  ): Promise<ContactSettings> {
    const userId = await this.contacts.ofAgencyUser(caller, params.id);
    return this.contacts.setPreferences(caller, userId, body);
  }
}
