import type { IncidentPriority } from '@gad/contracts';

export type Locale = 'es' | 'en';

export interface Rendered {
  title: string;
  body: string;
}

export interface CommandVars {
  priority: IncidentPriority;
  incidentType: string;
  callSign?: string;
  unitId: string;
  address?: string;
  coordinates: readonly number[];
}

export interface SupervisorAlertVars {
  unitId: string;
  callSign?: string;
  priority: IncidentPriority;
  incidentType: string;
  waitedS: number;
}

export interface IncidentNoticeVars {
  priority: IncidentPriority;
  incidentType: string;
  address?: string;
}

export interface GeofenceNoticeVars {
  unitId: string;
  geofenceName: string;
  transition: 'entered' | 'exited' | 'dwell';
}

const where = (address: string | undefined, coordinates: readonly number[]): string =>
  address ?? `${coordinates[1]?.toFixed(5)}, ${coordinates[0]?.toFixed(5)}`;

const transitions: Record<Locale, Record<GeofenceNoticeVars['transition'], string>> = {
  es: { entered: 'ha entrado en', exited: 'ha salido de', dwell: 'permanece en' },
  en: { entered: 'entered', exited: 'left', dwell: 'is dwelling in' },
};

/** User-facing texts in Spanish and English, chosen by the recipient's locale. */
export const templates = {
  command(locale: Locale, vars: CommandVars): Rendered {
    const unit = vars.callSign ?? vars.unitId;
    const place = where(vars.address, vars.coordinates);
    return locale === 'es'
      ? {
          title: `[${vars.priority}] Servicio: ${vars.incidentType}`,
          body: `${unit}, acuda a ${place}. Confirme la recepción y acepte el servicio.`,
        }
      : {
          title: `[${vars.priority}] Dispatch: ${vars.incidentType}`,
          body: `${unit}, respond to ${place}. Acknowledge and accept the assignment.`,
        };
  },
  supervisorAlert(locale: Locale, vars: SupervisorAlertVars): Rendered {
    const unit = vars.callSign ?? vars.unitId;
    return locale === 'es'
      ? {
          title: `[${vars.priority}] Sin aceptar: ${unit}`,
          body: `${unit} no ha aceptado el servicio ${vars.incidentType} tras ${vars.waitedS} s. Valore reasignarlo.`,
        }
      : {
          title: `[${vars.priority}] Not accepted: ${unit}`,
          body: `${unit} has not accepted the ${vars.incidentType} assignment after ${vars.waitedS} s. Consider reassigning.`,
        };
  },
  incidentNotice(locale: Locale, vars: IncidentNoticeVars): Rendered {
    const place = vars.address ? ` (${vars.address})` : '';
    return locale === 'es'
      ? {
          title: `Nuevo incidente ${vars.priority}`,
          body: `Nuevo incidente ${vars.incidentType}${place}.`,
        }
      : {
          title: `New ${vars.priority} incident`,
          body: `New ${vars.incidentType} incident${place}.`,
        };
  },
  geofenceNotice(locale: Locale, vars: GeofenceNoticeVars): Rendered {
    const verb = transitions[locale][vars.transition];
    return locale === 'es'
      ? {
          title: `Zona: ${vars.geofenceName}`,
          body: `La unidad ${vars.unitId} ${verb} ${vars.geofenceName}.`,
        }
      : {
          title: `Zone: ${vars.geofenceName}`,
          body: `Unit ${vars.unitId} ${verb} ${vars.geofenceName}.`,
        };
  },
};
