import { Controller } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type CreateIncidentNoteRequest,
  type CreateNoteRequest,
  type Note,
  type NoteList,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { CurrentUser, HttpOperation, OperationBody, OperationParams } from '@gad/platform';
import { NotesService } from './notes.service';

@Controller()
export class NotesController {
  constructor(private readonly notes: NotesService) {}

  @HttpOperation(operations.addIncidentNote)
  @Audited({ action: 'incident.note_add', objectType: 'incident' })
  addToIncident(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.addIncidentNote) params: { id: string },
    @OperationBody(operations.addIncidentNote) body: CreateIncidentNoteRequest,
  ): Promise<Note> {
    return this.notes.addToIncident(user, params.id, body);
  }

  @HttpOperation(operations.listIncidentNotes)
  listOfIncident(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.listIncidentNotes) params: { id: string },
  ): Promise<NoteList> {
    return this.notes.listOfIncident(user, params.id);
  }

  @HttpOperation(operations.addUnitNote)
  @Audited({ action: 'unit.note_add', objectType: 'unit' })
  addToUnit(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.addUnitNote) params: { id: string },
    @OperationBody(operations.addUnitNote) body: CreateNoteRequest,
  ): Promise<Note> {
    return this.notes.addToUnit(user, params.id, body);
  }

  @HttpOperation(operations.listUnitNotes)
  listOfUnit(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.listUnitNotes) params: { id: string },
  ): Promise<NoteList> {
    return this.notes.listOfUnit(user, params.id);
  }
}
