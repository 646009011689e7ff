import { WebhookErrorCode } from '@gad/contracts';
import { DomainException } from '@gad/platform';

export const WebhooksExceptionCode = {
  ...WebhookErrorCode,
  /** NOTIFY_SECRETS_KEY is not set: secrets could not be stored encrypted. */
  SecretsKeyMissing: 'webhook_secrets_key_missing',
} as const;
export type WebhooksExceptionCodeValue =
  (typeof WebhooksExceptionCode)[keyof typeof WebhooksExceptionCode];

/** Errors of agency webhook set-up (the code travels in the bus error reply). */
export class WebhooksException extends DomainException {
  constructor(code: WebhooksExceptionCodeValue, status: number, detail: string) {
    super(code, status, detail);
  }
}
