import type { ExecutionContext } from '@nestjs/common';
import { BusContext, type Delivery } from '@gad/bus';
import { createEnvelope } from '@gad/contracts';
import { AgencyScopeGuard } from './agency-scope.guard';

function contextFor(callerAgency: string, data: unknown): ExecutionContext {
  const envelope = createEnvelope({
    type: 'geo.nearest',
    agencyId: callerAgency,
    actor: { kind: 'user', id: 'u1' },
    data,
  });
  const busContext = new BusContext([envelope, {} as Delivery]);
  return {
    switchToRpc: () => ({ getContext: () => busContext, getData: () => data }),
  } as unknown as ExecutionContext;
}

describe('AgencyScopeGuard', () => {
  const sut = new AgencyScopeGuard();

  it('lets a caller act on its own agency and internal system calls on any', () => {
    expect(sut.canActivate(contextFor('ag-1', { agencyId: 'ag-1' }))).toBe(true);
    expect(sut.canActivate(contextFor('system', { agencyId: 'ag-2' }))).toBe(true);
  });

  it('refuses a request naming another agency', () => {
    expect(() => sut.canActivate(contextFor('ag-1', { agencyId: 'ag-2' }))).toThrow(
      expect.objectContaining({ code: 'forbidden', status: 403 }),
    );
  });
});
