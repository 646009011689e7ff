import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

async function listen(server: Server, scheme = 'http'): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A self-signed certificate for `localhost` and `127.0.0.1` (openssl CLI), and where its PEM is. */
export interface TestCertificate {
  key: Buffer;
  cert: Buffer;
  /** The certificate's file: pass it as WEBHOOK_CA_FILE so the service trusts it. */
  certFile: string;
}

export function selfSignedCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'gad-webhook-cert-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function readBody(req: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface TelegramCall {
  token: string;
  chatId: string;
  text: string;
  at: number;
  status: number;
}

/**
 * A local Telegram Bot API: `POST /bot<token>/sendMessage` with a JSON body, answering
 * `{ ok: true, result }`, or a scripted 429 `{ ok: false, error_code: 429, parameters: { retry_after } }`.
 */
export class FakeTelegram {
  readonly calls: TelegramCall[] = [];
  /** Per chat: how many of the next calls answer 429, and the retry_after they carry. */
  private readonly throttled = new Map<string, { remaining: number; retryAfterS: number }>();
  private server: Server | undefined;
  url = '';

  /** Updates `getUpdates` answers (those at or past the `offset` asked for). */
  private readonly updates: { update_id: number; message: Record<string, unknown> }[] = [];

  /** A user writes `text` to the bot from private chat `chatId`. */
  pushUpdate(chatId: string, text: string): void {
    const id = this.updates.length + 1;
    this.updates.push({
      update_id: id,
      message: {
        message_id: id,
        date: Math.floor(Date.now() / 1000),
        chat: { id: Number(chatId), type: 'private' },
        from: { id: Number(chatId), is_bot: false, first_name: 'Test' },
        text,
      },
    });
  }

  throttle(chatId: string, times: number, retryAfterS: number): void {
    this.throttled.set(chatId, { remaining: times, retryAfterS });
  }

  sentTo(chatId: string): TelegramCall[] {
    return this.calls.filter((c) => c.chatId === chatId && c.status === 200);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void readBody(req).then((raw) => {
        if (/^\/bot[^/]+\/getUpdates$/.test(req.url ?? '')) {
          const { offset = 0 } = JSON.parse(raw || '{}') as { offset?: number };
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({ ok: true, result: this.updates.filter((u) => u.update_id >= offset) }),
          );
          return;
        }
        const match = /^\/bot([^/]+)\/sendMessage$/.exec(req.url ?? '');
        const body = JSON.parse(raw || '{}') as { chat_id?: string | number; text?: string };
        const chatId = String(body.chat_id ?? '');
        res.setHeader('content-type', 'application/json');
        if (!match || req.method !== 'POST' || !chatId || !body.text) {
          res.statusCode = 400;
          res.end(JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request' }));
          return;
        }
        const throttle = this.throttled.get(chatId);
        const status = throttle && throttle.remaining > 0 ? 429 : 200;
        this.calls.push({
          token: match[1] as string,
          chatId,
          text: body.text,
          at: Date.now(),
          status,
        });
        if (throttle && status === 429) {
          throttle.remaining -= 1;
          res.statusCode = 429;
          res.end(
            JSON.stringify({
              ok: false,
              error_code: 429,
              description: `Too Many Requests: retry after ${throttle.retryAfterS}`,
              parameters: { retry_after: throttle.retryAfterS },
            }),
          );
          return;
        }
        res.end(
          JSON.stringify({
            ok: true,
            result: { message_id: this.calls.length, chat: { id: chatId }, text: body.text },
          }),
        );
      });
    });
    this.url = await listen(this.server);
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }
}

export interface WebhookCall {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** The signature matched HMAC-SHA256(secret, `<timestamp>.<body>`). */
  signatureValid: boolean;
  status: number;
}

/**
 * A local webhook receiver that verifies signatures; `status` scripts its answer (503 = down),
 * `location` the target of a redirect. With a certificate it speaks https.
 */
export class FakeWebhookReceiver {
  readonly calls: WebhookCall[] = [];
  status = 200;
  location: string | undefined;
  private server: Server | undefined;
  url = '';

  constructor(
    public secret: string,
    private readonly tls?: TestCertificate,
  ) {}

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      void readBody(req).then((body) => {
        const timestamp = String(req.headers['x-gad-timestamp'] ?? '');
        const expected = `sha256=${createHmac('sha256', this.secret).update(`${timestamp}.${body}`).digest('hex')}`;
        this.calls.push({
          headers: req.headers,
          body,
          at: Date.now(),
          signatureValid: req.headers['x-gad-signature'] === expected,
          status: this.status,
        });
        res.statusCode = this.status;
        if (this.location) {
          res.setHeader('location', this.location);
        }
        res.end();
      });
    };
    this.server = this.tls
      ? (createHttpsServer(
          { key: this.tls.key, cert: this.tls.cert },
          handler,
        ) as unknown as Server)
      : createServer(handler);
    this.url = await listen(this.server, this.tls ? 'https' : 'http');
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/** A local SMTP server (smtp-server) collecting every message. */
export class FakeSmtp {
  readonly messages: ReceivedMail[] = [];
  port = 0;
  private server: SMTPServer | undefined;

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        void readBody(stream).then((raw) => {
          this.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(resolve) : resolve()));
  }
}
