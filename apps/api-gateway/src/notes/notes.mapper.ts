import type { Note, NoteAddedV1 } from '@gad/contracts';
import type { NoteRow } from './notes.repository';

export function toNote(row: NoteRow): Note {
  return {
    id: row.id,
    agencyId: row.agency_id,
    incidentId: row.incident_id,
    unitId: row.unit_id,
    text: row.text,
    author: row.author,
    corrects: row.corrects,
    correctedBy: row.corrected_by ?? [],
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export function toNoteAddedV1(note: Note): NoteAddedV1 {
  return {
    noteId: note.id,
    ...(note.incidentId ? { incidentId: note.incidentId } : {}),
    ...(note.unitId ? { unitId: note.unitId } : {}),
    text: note.text,
    author: note.author,
    ...(note.corrects ? { corrects: note.corrects } : {}),
    createdAt: note.createdAt,
  };
}
