import {
  createParamDecorator,
  Inject,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AccessClaims, TokenRole } from '@gad/contracts';
import { IS_PUBLIC_KEY } from '../lib/health/public.decorator';
import { AuthException, bearerToken, JwtVerifier } from './jwt-verifier';

export const ROLES_KEY = 'gad:roles';

/** Roles allowed to call a handler (any of them). Every non-public handler must declare them. */
export const Roles = (...roles: TokenRole[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);

interface RequestWithUser {
  headers: Record<string, string | string[] | undefined>;
  user?: AccessClaims;
}

/**
 * Global HTTP guard: a valid access token (401 otherwise) and one of the handler's `@Roles`
 * (403 otherwise). A non-public handler without `@Roles` is refused, so a forgotten declaration
 * fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(JwtVerifier) private readonly verifier: JwtVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') {
      return true;
    }
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) {
      return true;
    }
    const request = context.switchToHttp().getRequest<RequestWithUser>();
    const token = bearerToken(request.headers['authorization']);
    if (!token) {
      throw AuthException.unauthenticated('Missing bearer token');
    }
    const { claims } = await this.verifier.verify(token);
    request.user = claims;
    const allowed =
      this.reflector.getAllAndOverride<TokenRole[] | undefined>(ROLES_KEY, targets) ?? [];
    if (!claims.roles.some((role) => allowed.includes(role))) {
      throw AuthException.forbidden('Your role may not perform this action');
    }
    return true;
  }
}

/** The authenticated caller (set by {@link AuthGuard}). */
export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext): AccessClaims => {
    const user = context.switchToHttp().getRequest<RequestWithUser>().user;
    if (!user) {
      throw AuthException.unauthenticated('Not authenticated');
    }
    return user;
  },
);
