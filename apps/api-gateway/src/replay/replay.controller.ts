import { Readable } from 'node:stream';
import { Controller, StreamableFile } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type IncidentReplayFrame,
  type IncidentReplayFramesQuery,
  type IncidentReplayQuery,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { CurrentUser, HttpOperation, OperationParams, OperationQuery } from '@gad/platform';
import { ReplayService } from './replay.service';

async function* ndjson(frames: AsyncIterable<IncidentReplayFrame>): AsyncGenerator<string> {
  for await (const frame of frames) {
    yield `${JSON.stringify(frame)}\n`;
  }
}

/** The incident flight recorder: sensitive reads, each audited (who looked at which moment). */
@Controller()
export class ReplayController {
  constructor(private readonly replay: ReplayService) {}

  @HttpOperation(operations.getIncidentReplay)
  @Audited({ action: 'incident.replay', objectType: 'incident', captureResult: false })
  at(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getIncidentReplay) params: { id: string },
    @OperationQuery(operations.getIncidentReplay) query: IncidentReplayQuery,
  ): Promise<IncidentReplayFrame> {
    return this.replay.at(user, params.id, query.at);
  }

  @HttpOperation(operations.streamIncidentReplay)
  @Audited({ action: 'incident.replay', objectType: 'incident', captureResult: false })
  async frames(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.streamIncidentReplay) params: { id: string },
    @OperationQuery(operations.streamIncidentReplay) query: IncidentReplayFramesQuery,
  ): Promise<StreamableFile> {
    const frames = await this.replay.frames(user, params.id, query);
    return new StreamableFile(Readable.from(ndjson(frames)), {
      type: 'application/x-ndjson; charset=utf-8',
    });
  }
}
