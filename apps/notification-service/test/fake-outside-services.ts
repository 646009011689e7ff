/** The fakes moved to @gad/testing (the system e2e tests use them too). */
export {
  FakeSmtp,
  FakeTelegram,
  FakeWebhookReceiver,
  selfSignedCertificate,
  type ReceivedMail,
  type TelegramCall,
  type TestCertificate,
  type WebhookCall,
} from '@gad/testing';
