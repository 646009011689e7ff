import { Controller } from '@nestjs/common';
import { Audited } from '@gad/audit';
import {
  AuditActions,
  operations,
  type AccessClaims,
  type Agency,
  type ChangePasswordRequest,
  type CreateUserRequest,
  type ListUsersQuery,
  type SetUserPasswordRequest,
  type SetUserRolesRequest,
  type UpdateAgencyRequest,
  type UpdateUserRequest,
  type User,
  type UserList,
} from '@gad/contracts';
import {
  CurrentUser,
  HttpOperation,
  OperationBody,
  OperationParams,
  OperationQuery,
} from '@gad/platform';
import { UsersService } from './users.service';

type IdParams = { id: string };

/** The caller, their agency, and the agency's users (administration). */
@Controller()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @HttpOperation(operations.getMe)
  me(@CurrentUser() caller: AccessClaims): Promise<User> {
    return this.users.me(caller);
  }

  @HttpOperation(operations.changeMyPassword)
  @Audited({ action: AuditActions.PasswordChanged, objectType: 'user', captureResult: false })
  changeMyPassword(
    @CurrentUser() caller: AccessClaims,
    @OperationBody(operations.changeMyPassword) body: ChangePasswordRequest,
  ): Promise<void> {
    return this.users.changeOwnPassword(caller, body);
  }

  @HttpOperation(operations.getMyAgency)
  agency(@CurrentUser() caller: AccessClaims): Promise<Agency> {
    return this.users.agency(caller);
  }

  @HttpOperation(operations.updateMyAgency)
  @Audited({ action: AuditActions.Updated, objectType: 'agency' })
  renameAgency(
    @CurrentUser() caller: AccessClaims,
    @OperationBody(operations.updateMyAgency) body: UpdateAgencyRequest,
  ): Promise<Agency> {
    return this.users.renameAgency(caller, body);
  }

  @HttpOperation(operations.listUsers)
  @Audited({ action: AuditActions.UserRead, objectType: 'user' })
  list(
    @CurrentUser() caller: AccessClaims,
    @OperationQuery(operations.listUsers) query: ListUsersQuery,
  ): Promise<UserList> {
    return this.users.list(caller, query);
  }

  @HttpOperation(operations.createUser)
  @Audited({ action: AuditActions.Created, objectType: 'user' })
  create(
    @CurrentUser() caller: AccessClaims,
    @OperationBody(operations.createUser) body: CreateUserRequest,
  ): Promise<User> {
    return this.users.create(caller, body);
  }

  @HttpOperation(operations.getUser)
  @Audited({ action: AuditActions.UserRead, objectType: 'user' })
  get(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.getUser) params: IdParams,
  ): Promise<User> {
    return this.users.get(caller, params.id);
  }

  @HttpOperation(operations.updateUser)
  @Audited({ action: AuditActions.Updated, objectType: 'user' })
  update(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.updateUser) params: IdParams,
    @OperationBody(operations.updateUser) body: UpdateUserRequest,
  ): Promise<User> {
    return this.users.update(caller, params.id, body);
  }

  @HttpOperation(operations.deleteUser)
  @Audited({ action: AuditActions.Deleted, objectType: 'user' })
  delete(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.deleteUser) params: IdParams,
  ): Promise<void> {
    return this.users.delete(caller, params.id);
  }

  @HttpOperation(operations.setUserRoles)
  @Audited({ action: AuditActions.RolesChanged, objectType: 'user' })
  setRoles(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.setUserRoles) params: IdParams,
    @OperationBody(operations.setUserRoles) body: SetUserRolesRequest,
  ): Promise<User> {
    return this.users.setRoles(caller, params.id, body.roles);
  }

  @HttpOperation(operations.setUserPassword)
  @Audited({ action: AuditActions.PasswordChanged, objectType: 'user', captureResult: false })
  setPassword(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.setUserPassword) params: IdParams,
    @OperationBody(operations.setUserPassword) body: SetUserPasswordRequest,
  ): Promise<void> {
    return this.users.setPassword(caller, params.id, body.password);
  }

  @HttpOperation(operations.unlockUser)
  @Audited({ action: AuditActions.AccountUnlocked, objectType: 'user' })
  unlock(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.unlockUser) params: IdParams,
  ): Promise<User> {
    return this.users.unlock(caller, params.id);
  }

  @HttpOperation(operations.disableUser)
  @Audited({ action: 'user.disable', objectType: 'user' })
  disable(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.disableUser) params: IdParams,
  ): Promise<User> {
    return this.users.disable(caller, params.id);
  }

  @HttpOperation(operations.enableUser)
  @Audited({ action: 'user.enable', objectType: 'user' })
  enable(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.enableUser) params: IdParams,
  ): Promise<User> {
    return this.users.enable(caller, params.id);
  }
}
