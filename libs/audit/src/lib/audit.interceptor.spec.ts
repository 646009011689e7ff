import {
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  Injectable,
  Param,
  Post,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { lastValueFrom, of } from 'rxjs';
import { AuditInterceptor, UNSCOPED_AGENCY, httpAuditContext } from './audit.interceptor';
import { Audited } from './audited.decorator';
import { AuditRecorder, type AuditRecordInput } from './audit-recorder.service';

@Injectable()
class HeaderAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string>; user?: unknown }>();
    if (request.headers['x-user']) {
      request.user = { sub: request.headers['x-user'], agencyId: 'ag-1', roles: ['dispatcher'] };
    }
    return true;
  }
}

@Controller('v1/incidents')
class IncidentsController {
  @Post()
  @Audited({ action: 'incident.create', objectType: 'incident' })
  create(@Body() body: { title: string; password?: string }) {
    return { id: 'inc-1', title: body.title, password: body.password };
  }

  @Delete(':id')
  @Audited({ objectType: 'incident' })
  remove(@Param('id') id: string) {
    if (id === 'locked') {
      throw new ForbiddenException('incident is locked');
    }
    throw new Error('database exploded');
  }

  @Get()
  list() {
    return [];
  }
}

describe('AuditInterceptor', () => {
  let app: INestApplication;
  const recorded: AuditRecordInput[] = [];
  const recorder = {
    record: (input: AuditRecordInput) => (recorded.push(input), 'id'),
    write: async (input: AuditRecordInput) => (recorded.push(input), 'id'),
  };

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [IncidentsController],
      providers: [
        { provide: AuditRecorder, useValue: recorder },
        AuditInterceptor,
        { provide: APP_GUARD, useClass: HeaderAuthGuard },
        { provide: APP_INTERCEPTOR, useExisting: AuditInterceptor },
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    await app.init();
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  beforeEach(() => {
    recorded.length = 0;
  });

  const inject = (options: { method: string; url: string; payload?: unknown; user?: string }) =>
    (app as NestFastifyApplication).inject({
      method: options.method as 'GET',
      url: options.url,
      payload: options.payload as Record<string, unknown>,
      headers: {
        'user-agent': 'console/1.0',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        ...(options.user ? { 'x-user': options.user } : {}),
      },
    });

  it('records a successful mutation with who, what, where, the result and the trace id', async () => {
    const response = await inject({
      method: 'POST',
      url: '/v1/incidents',
      payload: { title: 'Fire', password: 'p' },
      user: 'u-7',
    });
    expect(response.statusCode).toBe(201);
    expect(recorded).toEqual([
      expect.objectContaining({
        agencyId: 'ag-1',
        actor: { kind: 'user', id: 'u-7', roles: ['dispatcher'] },
        action: 'incident.create',
        object: { type: 'incident', id: 'inc-1' },
        outcome: 'success',
        changes: { after: { id: 'inc-1', title: 'Fire', password: 'p' } },
        source: { ip: '127.0.0.1', userAgent: 'console/1.0' },
        traceId: '0af7651916cd43dd8448eb211c80319c',
      }),
    ]);
  });

  it('records denials and failures with the reason', async () => {
    expect(
      (await inject({ method: 'DELETE', url: '/v1/incidents/locked', user: 'u-7' })).statusCode,
    ).toBe(403);
    expect((await inject({ method: 'DELETE', url: '/v1/incidents/x' })).statusCode).toBe(500);
    expect(recorded).toEqual([
      expect.objectContaining({
        action: 'incident.delete',
        object: { type: 'incident', id: 'locked' },
        outcome: 'denied',
        reason: expect.stringContaining('incident is locked'),
      }),
      expect.objectContaining({
        agencyId: UNSCOPED_AGENCY,
        actor: { kind: 'user', id: 'anonymous' },
        outcome: 'failed',
        reason: expect.stringContaining('database exploded'),
      }),
    ]);
  });

  it('leaves reads without @Audited alone', async () => {
    expect((await inject({ method: 'GET', url: '/v1/incidents', user: 'u-7' })).statusCode).toBe(
      200,
    );
    expect(recorded).toEqual([]);
  });

  it('records a socket command with the socket user and event name', async () => {
    const sut = new AuditInterceptor(recorder as unknown as AuditRecorder, new Reflector());
    const socket = {
      data: { user: { sub: 'off-1', agencyId: 'ag-2', roles: ['officer'] } },
      handshake: { address: '10.9.9.9', headers: { 'user-agent': 'field-app' } },
    };
    const context = new ExecutionContextHost([socket, { id: 'cmd-1' }, 'command.ack']);
    context.setType('ws');
    Object.assign(context, {
      getHandler: () =>
        function handler() {
          return undefined;
        },
      getClass: () => class Gateway {},
    });
    await lastValueFrom(sut.intercept(context, { handle: () => of({ ok: true }) }));
    expect(recorded).toEqual([
      expect.objectContaining({
        agencyId: 'ag-2',
        actor: { kind: 'user', id: 'off-1', roles: ['officer'] },
        action: 'socket.command.ack',
        outcome: 'success',
        source: { ip: '10.9.9.9', userAgent: 'field-app' },
      }),
    ]);
  });

  it('gives services the who and where of a request for entries they record themselves', () => {
    expect(
      httpAuditContext({
        ip: '10.0.0.9',
        headers: {
          'user-agent': 'ua',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
      }),
    ).toEqual({
      agencyId: UNSCOPED_AGENCY,
      actor: { kind: 'user', id: 'anonymous' },
      source: { ip: '10.0.0.9', userAgent: 'ua' },
      traceId: '0af7651916cd43dd8448eb211c80319c',
    });
  });
});
