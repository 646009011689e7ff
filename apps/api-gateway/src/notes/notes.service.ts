import { Injectable } from '@nestjs/common';
import {
  createEnvelope,
  EventTypes,
  uuidv7,
  type AccessClaims,
  type CreateIncidentNoteRequest,
  type CreateNoteRequest,
  type Note,
  type NoteList,
} from '@gad/contracts';
import { currentTraceparent } from '@gad/observability';
import { IncidentsService } from '../incidents/incidents.service';
import { DispatchTransactions, type DispatchTx } from '../timeline/dispatch-transactions.service';
import { actorOf } from '../timeline/timeline.mapper';
import { UnitException } from '../units/units.exception';
import { mayActOnUnit, UnitsService } from '../units/units.service';
import { NoteException } from './notes.exception';
import { toNote, toNoteAddedV1 } from './notes.mapper';
import { NotesRepository, type NoteRow } from './notes.repository';

/**
 * Append-only, attributed notes on an incident (in its timeline) or a unit, each announced as
 * `note.added` (the consoles' live feed). A correction is a new note that names the old one.
 */
@Injectable()
export class NotesService {
  constructor(
    private readonly repository: NotesRepository,
    private readonly incidents: IncidentsService,
    private readonly units: UnitsService,
    private readonly transactions: DispatchTransactions,
  ) {}

  async addToIncident(
    user: AccessClaims,
    incidentId: string,
    request: CreateIncidentNoteRequest,
  ): Promise<Note> {
    const row = await this.transactions.run(async (tx) => {
      await this.incidents.lockOrThrow(tx, user.agencyId, incidentId);
      if (request.unitId) {
        const unit = await this.units.findLocked(tx, user.agencyId, request.unitId);
        if (!unit) {
          throw UnitException.notFound(request.unitId);
        }
      }
      await this.checkCorrects(
        user.agencyId,
        request.corrects,
        (note) => note.incident_id === incidentId,
      );
      const note = await this.insert(tx, user, { ...request, incidentId });
      tx.note({
        agencyId: user.agencyId,
        incidentId,
        kind: 'note.added',
        actor: actorOf(user),
        message: request.corrects
          ? `${user.sub} corrected note ${request.corrects}: ${request.text}`
          : `${user.sub}: ${request.text}`,
        detail: {
          noteId: note.id,
          ...(request.unitId ? { unitId: request.unitId } : {}),
          ...(request.corrects ? { corrects: request.corrects } : {}),
        },
      });
      return note;
    });
    return toNote(row);
  }

  async addToUnit(user: AccessClaims, unitId: string, request: CreateNoteRequest): Promise<Note> {
    const row = await this.transactions.run(async (tx) => {
      const unit = await this.units.lockOrThrow(tx, user.agencyId, unitId);
      if (!mayActOnUnit(user, unit)) {
        throw UnitException.notYourUnit(unitId);
      }
      await this.checkCorrects(
        user.agencyId,
        request.corrects,
        (note) => note.unit_id === unitId && note.incident_id === null,
      );
      return this.insert(tx, user, { ...request, unitId });
    });
    return toNote(row);
  }

  async listOfIncident(user: AccessClaims, incidentId: string): Promise<NoteList> {
    await this.incidents.get(user, incidentId);
    return { items: (await this.repository.listByIncident(user.agencyId, incidentId)).map(toNote) };
  }

  async listOfUnit(user: AccessClaims, unitId: string): Promise<NoteList> {
    await this.units.get(user, unitId);
    return { items: (await this.repository.listByUnit(user.agencyId, unitId)).map(toNote) };
  }

  private async insert(
    tx: DispatchTx,
    user: AccessClaims,
    note: { text: string; corrects?: string; incidentId?: string; unitId?: string },
  ): Promise<NoteRow> {
    const row = await this.repository.insert(tx.client, {
      id: uuidv7(),
      agencyId: user.agencyId,
      incidentId: note.incidentId,
      unitId: note.unitId,
      text: note.text,
      author: user.sub,
      corrects: note.corrects,
    });
    tx.emit(
      createEnvelope({
        type: EventTypes.NoteAdded,
        agencyId: user.agencyId,
        actor: actorOf(user),
        traceparent: currentTraceparent(),
        data: toNoteAddedV1(toNote(row)),
      }),
    );
    return row;
  }

  /** A correction names a note of the same incident (or unit); 422 otherwise. */
  private async checkCorrects(
    agencyId: string,
    corrects: string | undefined,
    sameSubject: (note: NoteRow) => boolean,
  ): Promise<void> {
    if (!corrects) {
      return;
    }
    const corrected = await this.repository.findById(agencyId, corrects);
    if (!corrected || !sameSubject(corrected)) {
      throw NoteException.correctedNotFound(corrects);
    }
  }
}
