import {
  createGadClient,
  isGadProblemError,
  type ClientTokens,
  type GadRestClient,
} from '@gad/client';
import { isMfaChallenge } from '@gad/contracts';
import type { ConsoleConfig } from './config';

const STORAGE_KEY = 'gad-console-session';

export interface SessionUser {
  id: string;
  username: string;
  displayName: string | null;
  agencyId: string;
  roles: string[];
  locale: string;
}

interface Stored {
  tokens: ClientTokens;
  agency?: string;
}

/**
 * The dispatcher's session: a `@gad/client` REST client logged in with username and password. The
 * client refreshes the access token by itself (rotating refresh token); when the session cannot be
 * renewed any more (expired, revoked, logged out elsewhere) `onEnded` is called and the console
 * shows the login again. Tokens live in sessionStorage (this tab only), so a reload keeps the session.
 */
export class Session {
  readonly api: GadRestClient;
  user: SessionUser | undefined;
  private ended = false;

  constructor(
    readonly config: ConsoleConfig,
    private readonly onEnded: (reason: 'expired' | 'logout') => void,
  ) {
    const stored = readStored();
    this.api = createGadClient({
      baseUrl: config.apiUrl,
      accessToken: stored?.tokens.accessToken,
      refreshToken: stored?.tokens.refreshToken,
      onTokens: (tokens) => {
        if (tokens) {
          writeStored({ tokens });
        } else {
          clearStored();
          if (this.user && !this.ended) {
            this.ended = true;
            this.onEnded('expired');
          }
        }
      },
    });
  }

  get restorable(): boolean {
    return readStored() !== undefined;
  }

  /**
   * The password step: the user, or for a user with MFA the challenge to answer with a code
   * ({@link verifyMfa}).
   */
  async login(
    login: string,
    password: string,
    agency?: string,
  ): Promise<SessionUser | { challengeToken: string }> {
    this.ended = false;
    const { body } = await this.api.ops.login({
      body: { login, password, ...(agency ? { agency } : {}) },
    });
    if (isMfaChallenge(body)) {
      return { challengeToken: body.challengeToken };
    }
    return this.loadUser();
  }

  /** The second step: a TOTP or recovery code for the challenge of {@link login}. */
  async verifyMfa(challengeToken: string, code: string): Promise<SessionUser> {
    this.ended = false;
    await this.api.auth.verifyMfa(challengeToken, code.trim());
    return this.loadUser();
  }

  /** Resumes the session of this tab after a reload (undefined when it cannot be resumed). */
  async resume(): Promise<SessionUser | undefined> {
    if (!this.restorable) {
      return undefined;
    }
    try {
      return await this.loadUser();
    } catch (error) {
      if (isGadProblemError(error) && (error.status === 401 || error.status === 403)) {
        clearStored();
        return undefined;
      }
      throw error;
    }
  }

  async logout(): Promise<void> {
    this.ended = true;
    try {
      await this.api.ops.logout();
    } catch {
      // The session may already be over: the console forgets it either way.
    }
    this.api.setTokens(undefined);
    clearStored();
    this.user = undefined;
    this.onEnded('logout');
  }

  private async loadUser(): Promise<SessionUser> {
    const { body } = await this.api.ops.getMe();
    this.user = {
      id: body.id,
      username: body.username,
      displayName: body.displayName,
      agencyId: body.agencyId,
      roles: body.roles,
      locale: body.locale,
    };
    return this.user;
  }
}

function readStored(): Stored | undefined {
  try {
    const text = sessionStorage.getItem(STORAGE_KEY);
    const parsed = text ? (JSON.parse(text) as Stored) : undefined;
    return parsed?.tokens?.accessToken ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function writeStored(stored: Stored): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
  } catch {
    // Storage unavailable (private mode): the session lasts as long as the page.
  }
}

function clearStored(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}
