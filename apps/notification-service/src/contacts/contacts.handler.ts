import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { BusContext } from '@gad/bus';
import {
  NotifyContactRpcPatterns,
  notifyContactsUserRequestSchema,
  notifyEmailStartRequestSchema,
  notifyEmailVerifyRequestSchema,
  notifyPreferencesRequestSchema,
  type ContactSettings,
  type TelegramLink,
} from '@gad/contracts';
import { parseRpcRequest } from '../intake/rpc-request';
import { ContactsService } from './contacts.service';

/** `notify.contacts.*` on `gad:rpc:notification-service` (api-gateway's `/v1/me/...` routes). */
@Controller()
export class ContactsHandler {
  constructor(private readonly contacts: ContactsService) {}

  @MessagePattern(NotifyContactRpcPatterns.Get)
  get(@Payload() payload: unknown, @Ctx() ctx: BusContext): Promise<ContactSettings> {
    const r = parseRpcRequest(notifyContactsUserRequestSchema, payload, ctx);
    return this.contacts.get(r.agencyId, r.userId);
  }

  @MessagePattern(NotifyContactRpcPatterns.TelegramLink)
  telegramLink(@Payload() payload: unknown, @Ctx() ctx: BusContext): Promise<TelegramLink> {
    const r = parseRpcRequest(notifyContactsUserRequestSchema, payload, ctx);
    return this.contacts.telegramLink(r.agencyId, r.userId);
  }

  @MessagePattern(NotifyContactRpcPatterns.EmailStart)
  emailStart(@Payload() payload: unknown, @Ctx() ctx: BusContext): Promise<ContactSettings> {
    const r = parseRpcRequest(notifyEmailStartRequestSchema, payload, ctx);
    return this.contacts.startEmail(r.agencyId, r.userId, r.email);
  }

  @MessagePattern(NotifyContactRpcPatterns.EmailVerify)
  emailVerify(@Payload() payload: unknown, @Ctx() ctx: BusContext): Promise<ContactSettings> {
    const r = parseRpcRequest(notifyEmailVerifyRequestSchema, payload, ctx);
    return this.contacts.verifyEmail(r.agencyId, r.userId, r.code);
  }

  @MessagePattern(NotifyContactRpcPatterns.Preferences)
  preferences(@Payload() payload: unknown, @Ctx() ctx: BusContext): Promise<ContactSettings> {
    const r = parseRpcRequest(notifyPreferencesRequestSchema, payload, ctx);
    return this.contacts.setPreferences(r.agencyId, r.userId, r.preferences);
  }
}
