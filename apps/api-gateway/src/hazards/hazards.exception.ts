import { DomainException } from '@gad/platform';

export enum HazardErrorCode {
  NotFound = 'hazard_not_found',
  AreaInvalid = 'hazard_area_invalid',
  PointIncomplete = 'hazard_point_incomplete',
}

export class HazardException extends DomainException {
  static notFound(id: string): HazardException {
    return new HazardException(HazardErrorCode.NotFound, 404, `Hazard ${id} does not exist`);
  }

  static pointIncomplete(): HazardException {
    return new HazardException(
      HazardErrorCode.PointIncomplete,
      422,
      'Give both lon and lat to list the hazards at a point',
    );
  }

  static areaInvalid(): HazardException {
    return new HazardException(
      HazardErrorCode.AreaInvalid,
      422,
      'The hazard polygon is not valid (self-intersecting or degenerate rings)',
    );
  }
}
