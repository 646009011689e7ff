import { Injectable } from '@nestjs/common';
import {
  NOTIFY_RPC_SERVICE,
  NotifyContactRpcPatterns,
  contactSettingsSchema,
  telegramLinkSchema,
  type AccessClaims,
  type ContactSettings,
  type NotificationPreferencesRequest,
  type TelegramLink,
} from '@gad/contracts';
import { IdentityException } from '../identity/identity.exception';
import { UsersRepository } from '../identity/users.repository';
import { ServiceRpcClient } from '../rpc/service-rpc.client';

/**
 * A user's contact channels and preferences, kept by notification-service: the caller's own, or
 * (admins) any user of the caller's agency, checked to exist here first.
 */
@Injectable()
export class ContactsService {
  constructor(
    private readonly rpc: ServiceRpcClient,
    private readonly users: UsersRepository,
  ) {}

  /** `userId` of the caller's agency (404 for another agency's or an unknown user). */
  async ofAgencyUser(caller: AccessClaims, userId: string): Promise<string> {
    if (!(await this.users.find(caller.agencyId, userId))) {
      throw IdentityException.userNotFound(userId);
    }
    return userId;
  }

  get(caller: AccessClaims, userId: string): Promise<ContactSettings> {
    return this.call(caller, NotifyContactRpcPatterns.Get, userId, {});
  }

  telegramLink(caller: AccessClaims, userId: string): Promise<TelegramLink> {
    return this.rpc.call(
      NOTIFY_RPC_SERVICE,
      caller,
      NotifyContactRpcPatterns.TelegramLink,
      { agencyId: caller.agencyId, userId },
      telegramLinkSchema,
    );
  }

  startEmail(caller: AccessClaims, userId: string, email: string): Promise<ContactSettings> {
    return this.call(caller, NotifyContactRpcPatterns.EmailStart, userId, { email });
  }

  verifyEmail(caller: AccessClaims, userId: string, code: string): Promise<ContactSettings> {
    return this.call(caller, NotifyContactRpcPatterns.EmailVerify, userId, { code });
  }

  setPreferences(
    caller: AccessClaims,
    userId: string,
    preferences: NotificationPreferencesRequest,
  ): Promise<ContactSettings> {
    return this.call(caller, NotifyContactRpcPatterns.Preferences, userId, { preferences });
  }

  private call(
    caller: AccessClaims,
    pattern: string,
    userId: string,
    extra: Record<string, unknown>,
  ): Promise<ContactSettings> {
    return this.rpc.call(
      NOTIFY_RPC_SERVICE,
      caller,
      pattern,
      { agencyId: caller.agencyId, userId, ...extra },
      contactSettingsSchema,
    );
  }
}
