import { GeoErrorCode } from '@gad/contracts';
import { DomainException } from '@gad/platform';

export const GeofenceErrorCode = {
  InvalidGeometry: GeoErrorCode.InvalidGeometry,
  NotFound: GeoErrorCode.GeofenceNotFound,
  VersionConflict: GeoErrorCode.GeofenceVersionConflict,
  PerimeterNeedsIncident: GeoErrorCode.PerimeterRequiresIncident,
  InvalidCursor: GeoErrorCode.InvalidCursor,
} as const;

export class GeofenceException extends DomainException {
  static invalidGeometry(reason: string): GeofenceException {
    return new GeofenceException(
      GeofenceErrorCode.InvalidGeometry,
      422,
      `invalid geometry: ${reason}`,
      { extensions: { reason } },
    );
  }

  static notFound(id: string): GeofenceException {
    return new GeofenceException(GeofenceErrorCode.NotFound, 404, `geofence ${id} not found`);
  }

  static versionConflict(id: string, currentVersion: number): GeofenceException {
    return new GeofenceException(
      GeofenceErrorCode.VersionConflict,
      409,
      `geofence ${id} is at version ${currentVersion}`,
      { extensions: { currentVersion } },
    );
  }

  static invalidCursor(): GeofenceException {
    return new GeofenceException(GeofenceErrorCode.InvalidCursor, 400, 'the cursor is invalid');
  }

  static perimeterNeedsIncident(): GeofenceException {
    return new GeofenceException(
      GeofenceErrorCode.PerimeterNeedsIncident,
      422,
      'a perimeter geofence needs an incidentId',
    );
  }
}
