import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AuditRecorder } from '@gad/audit';
import { UnitOfWork } from '@gad/bus';
import { AuditActions, uuidv7 } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { IDENTITY_CLOCK, type Clock } from './identity.constants';
import { AgenciesRepository } from './agencies.repository';
import { appendUserChanged } from './user-events';
import { PasswordService } from './password.service';
import { UsersRepository } from './users.repository';

export interface FirstAdmin {
  agencyId: string;
  agencyName: string;
  username: string;
  email: string;
  password: string;
}

/** Where the first admin is written: a unit of work and the agencies and users repositories. */
export interface FirstAdminStore {
  unitOfWork: UnitOfWork;
  agencies: AgenciesRepository;
  users: UsersRepository;
}

/**
 * In one transaction serialised by an advisory lock: unless an admin exists anywhere, creates the
 * agency (if new) and the admin user. `audited` records the new admin's entry in that transaction,
 * so the admin and the entry commit together (docs/adr/0021). Returns the new user's id, or
 * undefined.
 */
export function createFirstAdminRow(
  { unitOfWork, agencies, users }: FirstAdminStore,
  admin: Omit<FirstAdmin, 'password'>,
  passwordHash: string,
  now: Date,
  audited?: (id: string) => void,
): Promise<string | undefined> {
  return unitOfWork.run(async ({ client }) => {
    await users.lockBootstrap(client);
    if (await users.anyAdmin(client)) {
      return undefined;
    }
    await agencies.ensure(client, admin.agencyId, admin.agencyName, now);
    const row = await users.insert(
      {
        id: uuidv7(),
        agencyId: admin.agencyId,
        username: admin.username.trim().toLowerCase(),
        email: admin.email.trim().toLowerCase(),
        displayName: null,
        locale: 'es',
        roles: ['admin'],
        passwordHash,
        now,
      },
      client,
    );
    await appendUserChanged(client, { kind: 'system', id: 'bootstrap' }, [row], now);
    audited?.(row.id);
    return row.id;
  });
}

/**
 * Creates the first administrator (and their agency) when no admin exists anywhere, from
 * `BOOTSTRAP_*` at boot or from the `admin:create` CLI. There is no default password: without the
 * variables nothing is created. Replicas booting together serialise on an advisory lock.
 */
@Injectable()
export class IdentityBootstrap implements OnApplicationBootstrap {
  private readonly logger = createLogger('identity-bootstrap');

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly agencies: AgenciesRepository,
    private readonly users: UsersRepository,
    private readonly passwords: PasswordService,
    private readonly audit: AuditRecorder,
    @Inject(IDENTITY_CLOCK) private readonly clock: Clock,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    if (
      !c.BOOTSTRAP_AGENCY_ID ||
      !c.BOOTSTRAP_AGENCY_NAME ||
      !c.BOOTSTRAP_ADMIN_USERNAME ||
      !c.BOOTSTRAP_ADMIN_EMAIL ||
      !c.BOOTSTRAP_ADMIN_PASSWORD
    ) {
      return;
    }
    await this.createFirstAdmin({
      agencyId: c.BOOTSTRAP_AGENCY_ID,
      agencyName: c.BOOTSTRAP_AGENCY_NAME,
      username: c.BOOTSTRAP_ADMIN_USERNAME,
      email: c.BOOTSTRAP_ADMIN_EMAIL,
      password: c.BOOTSTRAP_ADMIN_PASSWORD,
    });
  }

  /** Creates the admin unless one exists; returns the new user's id, or undefined. */
  async createFirstAdmin(admin: FirstAdmin): Promise<string | undefined> {
    const passwordHash = await this.passwords.hash(admin.password);
    const now = this.clock.now();
    const id = await createFirstAdminRow(
      { unitOfWork: this.unitOfWork, agencies: this.agencies, users: this.users },
      admin,
      passwordHash,
      now,
      (created) =>
        this.audit.record({
          agencyId: admin.agencyId,
          actor: { kind: 'service', id: 'api-gateway' },
          action: AuditActions.Created,
          outcome: 'success',
          object: { type: 'user', id: created },
          reason: 'first admin from the bootstrap configuration',
        }),
    );
    if (id) {
      this.logger.info({ agencyId: admin.agencyId, userId: id }, 'first admin created');
    }
    return id;
  }
}
