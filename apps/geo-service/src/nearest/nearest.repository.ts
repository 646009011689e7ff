// The nearest statements and their repository live in @gad/geo-read (docs/adr/0032); ingestion
// sizes its geofence scans with the same "no radius".
export { UNBOUNDED_RADIUS_M } from '@gad/geo-read';
