import { createGeoHarness, type GeoHarness } from './geo-test-harness';

/**
 * geo-service follows an agency's `retentionDays` (agency.settings_changed, issue #18): a number
 * becomes the agency's own retention, `null` gives it back the deployment's default.
 */
describe('agency retention from agency settings (PostGIS)', () => {
  let h: GeoHarness;

  beforeAll(async () => {
    h = await createGeoHarness({ POSITION_RETENTION_DAYS: '30' });
  });

  afterAll(async () => {
    await h.close();
  });

  const retentionOf = async (agencyId: string): Promise<number | undefined> => {
    const rows: Array<{ days: number }> = await h.dataSource.query(
      'SELECT position_retention_days AS days FROM geo.agency_settings WHERE agency_id = $1',
      [agencyId],
    );
    return rows[0]?.days;
  };

  it('sets, changes and clears an agency’s own retention', async () => {
    await h.retention.followAgencySettings('agency-r', 90);
    expect(await retentionOf('agency-r')).toBe(90);
    await h.retention.followAgencySettings('agency-r', 7);
    expect(await retentionOf('agency-r')).toBe(7);
    await h.retention.followAgencySettings('agency-other', 400);
    await h.retention.followAgencySettings('agency-r', null);
    expect(await retentionOf('agency-r')).toBeUndefined();
    expect(await retentionOf('agency-other')).toBe(400);
  });
});
