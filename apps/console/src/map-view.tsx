import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { useEffect, useRef, useState } from 'react';
import type { ConsoleConfig } from './config';
import { useI18n } from './i18n';
import type { ConsoleStore, IncidentView, UnitView } from './store';

export const UNIT_COLOURS: Record<string, string> = {
  available: '#1a9850',
  dispatched: '#d73027',
  en_route: '#f46d43',
  on_scene: '#7b3294',
  returning: '#4575b4',
  out_of_service: '#555555',
  off_duty: '#999999',
};
export const PRIORITY_COLOURS: Record<string, string> = {
  P1: '#b2182b',
  P2: '#ef8a62',
  P3: '#e6c229',
  P4: '#67a9cf',
};

interface MapViewProps {
  store: ConsoleStore;
  config: ConsoleConfig;
  incidents: IncidentView[];
  selectedId: string | undefined;
  onSelectIncident: (id: string) => void;
  /** Set while a new incident is being placed: a click on the map picks its point. */
  onPick: ((lat: number, lon: number) => void) | undefined;
  picked: [number, number] | undefined;
  mapRef: React.MutableRefObject<L.Map | undefined>;
}

/**
 * The agency's live map (Leaflet, canvas renderer, no WebGL): units coloured by status and moved
 * as `units.moved` arrives, stale units hollow and grey-edged, incidents by priority, geofences.
 * With no tile URL configured it is a plain background with a coordinate readout and a scale bar,
 * so it works offline and in tests. Unit markers are moved imperatively (no React render per fix).
 */
export function MapView(props: MapViewProps) {
  const { store, config, incidents, selectedId, onSelectIncident, onPick, picked, mapRef } = props;
  const { t } = useI18n();
  const element = useRef<HTMLDivElement>(null);
  const unitLayer = useRef<L.LayerGroup>(undefined);
  const incidentLayer = useRef<L.LayerGroup>(undefined);
  const geofenceLayer = useRef<L.LayerGroup>(undefined);
  const pickLayer = useRef<L.LayerGroup>(undefined);
  const markers = useRef(new Map<string, L.CircleMarker>());
  const pickRef = useRef(onPick);
  const [cursor, setCursor] = useState<string>(
    `${config.center[0].toFixed(5)}, ${config.center[1].toFixed(5)}`,
  );
  pickRef.current = onPick;

  useEffect(() => {
    if (!element.current) {
      return;
    }
    const renderer = L.canvas({ padding: 0.2 });
    const map = L.map(element.current, {
      center: config.center,
      zoom: config.zoom,
      preferCanvas: true,
      renderer,
      keyboard: true,
      zoomControl: true,
      attributionControl: Boolean(config.tileUrl),
    });
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, {
        maxZoom: 19,
        attribution: config.tileAttribution ?? '',
      }).addTo(map);
    }
    L.control.scale({ metric: true, imperial: false }).addTo(map);
    geofenceLayer.current = L.layerGroup().addTo(map);
    incidentLayer.current = L.layerGroup().addTo(map);
    unitLayer.current = L.layerGroup().addTo(map);
    pickLayer.current = L.layerGroup().addTo(map);
    map.on('mousemove', (event: L.LeafletMouseEvent) =>
      setCursor(`${event.latlng.lat.toFixed(5)}, ${event.latlng.lng.toFixed(5)}`),
    );
    map.on('moveend', () => {
      const centre = map.getCenter();
      setCursor(`${centre.lat.toFixed(5)}, ${centre.lng.toFixed(5)}`);
    });
    map.on('click', (event: L.LeafletMouseEvent) =>
      pickRef.current?.(event.latlng.lat, event.latlng.lng),
    );
    mapRef.current = map;

    // Per fix only the position moves; the style (status colour, stale) is set when it changes.
    const styles = new Map<string, string>();
    const draw = (units: UnitView[]) => {
      const now = Date.now();
      for (const unit of units) {
        if (!unit.position) continue;
        const latLng: L.LatLngExpression = [unit.position[1], unit.position[0]];
        const colour = UNIT_COLOURS[unit.status ?? ''] ?? '#333333';
        const stale = store.isStale(unit, now);
        const key = `${colour}${stale ? ':stale' : ''}`;
        const style: L.CircleMarkerOptions = {
          radius: 6,
          color: stale ? '#777777' : '#ffffff',
          weight: 2,
          dashArray: stale ? '3 2' : undefined,
          fillColor: colour,
          fillOpacity: stale ? 0.25 : 0.95,
          renderer,
        };
        const existing = markers.current.get(unit.id);
        if (existing) {
          existing.setLatLng(latLng);
          if (styles.get(unit.id) !== key) {
            existing.setStyle(style);
          }
        } else {
          const marker = L.circleMarker(latLng, style).bindTooltip(
            () => `${unit.callSign ?? unit.id} · ${unit.status ?? ''}`,
          );
          marker.addTo(unitLayer.current as L.LayerGroup);
          markers.current.set(unit.id, marker);
        }
        styles.set(unit.id, key);
      }
    };
    draw([...store.units.values()]);
    const offPositions = store.onPositions(draw);
    // Staleness changes with time alone: redraw every unit every 5 s.
    const timer = setInterval(() => draw([...store.units.values()]), 5_000);
    return () => {
      offPositions();
      clearInterval(timer);
      markers.current.clear();
      map.remove();
      mapRef.current = undefined;
    };
  }, [store, config, mapRef]);

  useEffect(() => {
    const layer = incidentLayer.current;
    if (!layer) return;
    layer.clearLayers();
    for (const incident of incidents) {
      const [lon, lat] = incident.location.coordinates as [number, number];
      const selected = incident.id === selectedId;
      const marker = L.marker([lat, lon], {
        keyboard: true,
        title: `${incident.priority} ${incident.type}`,
        icon: L.divIcon({
          className: `incident-pin priority-${incident.priority}${selected ? ' selected' : ''}`,
          html: `<span>${incident.priority}</span>`,
          iconSize: [28, 28],
          iconAnchor: [14, 14],
        }),
      });
      marker.on('click', () => onSelectIncident(incident.id));
      marker.addTo(layer);
    }
  }, [incidents, selectedId, onSelectIncident]);

  useEffect(() => {
    const layer = geofenceLayer.current;
    if (!layer) return;
    layer.clearLayers();
    for (const fence of store.geofences) {
      L.geoJSON(fence.geometry as GeoJSON.GeoJsonObject, {
        style: {
          color: fence.kind === 'restricted_area' ? '#b2182b' : '#2166ac',
          weight: 2,
          fillOpacity: 0.08,
        },
      })
        .bindTooltip(fence.name)
        .addTo(layer);
    }
  }, [store, store.geofences]);

  useEffect(() => {
    const layer = pickLayer.current;
    if (!layer) return;
    layer.clearLayers();
    if (picked) {
      L.circleMarker(picked, {
        radius: 9,
        color: '#000',
        weight: 2,
        fillColor: '#fff',
        fillOpacity: 0.9,
      }).addTo(layer);
    }
  }, [picked]);

  return (
    <section className="map-wrap" aria-label={t('map')}>
      <div
        ref={element}
        className={`map${onPick ? ' picking' : ''}`}
        data-testid="map"
        role="application"
        aria-label={t('mapLabel')}
      />
      <div className="map-readout" aria-live="off" data-testid="map-coordinates">
        {t('coordinates')}: {cursor}
      </div>
      <ul className="legend" aria-label="legend">
        {Object.entries(UNIT_COLOURS).map(([status, colour]) => (
          <li key={status}>
            <span className="dot" style={{ background: colour }} /> {t(`unit_${status}`)}
          </li>
        ))}
        <li>
          <span className="dot stale" /> {t('stale')}
        </li>
      </ul>
    </section>
  );
}
