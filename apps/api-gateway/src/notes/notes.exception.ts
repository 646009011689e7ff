import { DomainException } from '@gad/platform';

export enum NoteErrorCode {
  CorrectedNotFound = 'note_corrected_not_found',
}

export class NoteException extends DomainException {
  /** The note to correct is not a note of the same incident or unit. */
  static correctedNotFound(id: string): NoteException {
    return new NoteException(
      NoteErrorCode.CorrectedNotFound,
      422,
      `Note ${id} is not a note of this incident or unit`,
      { extensions: { corrects: id } },
    );
  }
}
