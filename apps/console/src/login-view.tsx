import { isGadProblemError } from '@gad/client';
import { useState, type FormEvent } from 'react';
import { useI18n } from './i18n';
import type { Session, SessionUser } from './session';

interface LoginViewProps {
  session: Session;
  notice: string | undefined;
  onLoggedIn: (user: SessionUser) => void;
  languageSwitch: React.ReactNode;
}

export function LoginView({ session, notice, onLoggedIn, languageSwitch }: LoginViewProps) {
  const { t } = useI18n();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [agency, setAgency] = useState(session.config.agency ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  /** Set after the password step of a user with MFA: the code step follows. */
  const [challenge, setChallenge] = useState<string>();
  const [code, setCode] = useState('');

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (challenge) {
        onLoggedIn(await session.verifyMfa(challenge, code));
        return;
      }
      const result = await session.login(login.trim(), password, agency.trim() || undefined);
      if ('challengeToken' in result) {
        setChallenge(result.challengeToken);
        setPassword('');
      } else {
        onLoggedIn(result);
      }
    } catch (caught) {
      const status = isGadProblemError(caught) ? caught.status : undefined;
      if (challenge && status === 401 && isGadProblemError(caught)) {
        // An expired challenge starts over with the password; a wrong code may be retyped.
        if (caught.code === 'invalid_mfa_challenge') {
          setChallenge(undefined);
        }
        setCode('');
        setError(t('mfaFailed'));
      } else {
        setError(
          status === 401
            ? t('loginFailed')
            : status === 429
              ? t('mfaThrottled')
              : `${t('error')}: ${caught instanceof Error ? caught.message : String(caught)}`,
        );
      }
    } finally {
      setBusy(false);
    }
  }

  if (challenge) {
    return (
      <main className="login">
        <form onSubmit={submit} aria-labelledby="login-title" data-testid="mfa-form">
          <h1 id="login-title">{t('loginTitle')}</h1>
          <p className="notice" role="status">
            {t('mfaHint')}
          </p>
          <label>
            {t('mfaCode')}
            <input
              name="code"
              autoComplete="one-time-code"
              inputMode="text"
              autoFocus
              required
              maxLength={20}
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
          {error ? (
            <p className="error" role="alert">
              {error}
            </p>
          ) : null}
          <button type="submit" disabled={busy}>
            {busy ? t('loggingIn') : t('mfaVerify')}
          </button>
          <div className="login-language">{languageSwitch}</div>
        </form>
      </main>
    );
  }

  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title" data-testid="login-form">
        <h1 id="login-title">{t('loginTitle')}</h1>
        {notice ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}
        <label>
          {t('username')}
          <input
            name="login"
            autoComplete="username"
            autoFocus
            required
            value={login}
            onChange={(e) => setLogin(e.target.value)}
          />
        </label>
        <label>
          {t('password')}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <label>
          {t('agency')}
          <input name="agency" value={agency} onChange={(e) => setAgency(e.target.value)} />
        </label>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? t('loggingIn') : t('logIn')}
        </button>
        <div className="login-language">{languageSwitch}</div>
      </form>
    </main>
  );
}
