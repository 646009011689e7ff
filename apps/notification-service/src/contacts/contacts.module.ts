import { Module } from '@nestjs/common';
import { EmailChannel } from '../channels/email.channel';
import { TelegramChannel } from '../channels/telegram.channel';
import { ContactsHandler } from './contacts.handler';
import { ContactsRepository } from './contacts.repository';
import { ContactsService } from './contacts.service';
import { TelegramUpdatesPoller } from './telegram-updates.poller';

/**
 * Users' contact channels: Telegram chat links (`getUpdates` polling), e-mail verification,
 * preferences and quiet hours. Its own channel clients send the link confirmations and codes.
 */
@Module({
  controllers: [ContactsHandler],
  providers: [
    ContactsRepository,
    ContactsService,
    TelegramUpdatesPoller,
    EmailChannel,
    TelegramChannel,
  ],
})
export class ContactsModule {}
