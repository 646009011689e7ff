import { Controller } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type ChangeUnitStatusRequest,
  type CreateUnitRequest,
  type ListUnitsQuery,
  type Unit,
  type UnitList,
  type UpdateUnitRequest,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import {
  CurrentUser,
  HttpOperation,
  OperationBody,
  OperationParams,
  OperationQuery,
} from '@gad/platform';
import { UnitsService } from './units.service';

/** Unit registry and status (the dispatch side of units; positions live in geo-service). */
@Controller()
export class UnitsController {
  constructor(private readonly units: UnitsService) {}

  @HttpOperation(operations.listUnits)
  list(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.listUnits) query: ListUnitsQuery,
  ): Promise<UnitList> {
    return this.units.list(user, query);
  }

  @HttpOperation(operations.createUnit)
  @Audited({ action: 'unit.create', objectType: 'unit' })
  create(
    @CurrentUser() user: AccessClaims,
    @OperationBody(operations.createUnit) body: CreateUnitRequest,
  ): Promise<Unit> {
    return this.units.create(user, body);
  }

  @HttpOperation(operations.getUnit)
  get(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getUnit) params: { id: string },
  ): Promise<Unit> {
    return this.units.get(user, params.id);
  }

  @HttpOperation(operations.updateUnit)
  @Audited({ action: 'unit.update', objectType: 'unit' })
  update(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.updateUnit) params: { id: string },
    @OperationBody(operations.updateUnit) body: UpdateUnitRequest,
  ): Promise<Unit> {
    return this.units.update(user, params.id, body);
  }

  @HttpOperation(operations.deleteUnit)
  @Audited({ action: 'unit.retire', objectType: 'unit' })
  retire(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.deleteUnit) params: { id: string },
  ): Promise<void> {
    return this.units.retire(user, params.id);
  }

  @HttpOperation(operations.changeUnitStatus)
  @Audited({ action: 'unit.status_change', objectType: 'unit' })
  changeStatus(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.changeUnitStatus) params: { id: string },
    @OperationBody(operations.changeUnitStatus) body: ChangeUnitStatusRequest,
  ): Promise<Unit> {
    return this.units.changeStatus(user, params.id, body);
  }
}
