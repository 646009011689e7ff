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

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onLoggedIn(await session.login(login.trim(), password, agency.trim() || undefined));
    } catch (caught) {
      setError(
        isGadProblemError(caught) && caught.status === 401
          ? t('loginFailed')
          : `${t('error')}: ${caught instanceof Error ? caught.message : String(caught)}`,
      );
    } finally {
      setBusy(false);
    }
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
