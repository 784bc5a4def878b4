/**
 * Which time zone a recipient's quiet hours are read in: their own `timezone`, else the usual
 * zone of their country (for countries spanning several zones, the most populous one), else
 * the workspace's `default_timezone`, else UTC.
 */
import { isTimeZone } from './config.js';

const COUNTRY_ZONES: Record<string, string> = {
  US: 'America/New_York', CA: 'America/Toronto', MX: 'America/Mexico_City', BR: 'America/Sao_Paulo',
  AR: 'America/Argentina/Buenos_Aires', CL: 'America/Santiago', CO: 'America/Bogota', PE: 'America/Lima',
  GB: 'Europe/London', IE: 'Europe/Dublin', PT: 'Europe/Lisbon', ES: 'Europe/Madrid', FR: 'Europe/Paris',
  BE: 'Europe/Brussels', NL: 'Europe/Amsterdam', LU: 'Europe/Luxembourg', DE: 'Europe/Berlin', AT: 'Europe/Vienna',
  CH: 'Europe/Zurich', IT: 'Europe/Rome', DK: 'Europe/Copenhagen', NO: 'Europe/Oslo', SE: 'Europe/Stockholm',
  FI: 'Europe/Helsinki', PL: 'Europe/Warsaw', CZ: 'Europe/Prague', SK: 'Europe/Bratislava', HU: 'Europe/Budapest',
  RO: 'Europe/Bucharest', BG: 'Europe/Sofia', GR: 'Europe/Athens', TR: 'Europe/Istanbul', UA: 'Europe/Kyiv',
  IL: 'Asia/Jerusalem', AE: 'Asia/Dubai', SA: 'Asia/Riyadh', IN: 'Asia/Kolkata', NP: 'Asia/Kathmandu',
  SG: 'Asia/Singapore', MY: 'Asia/Kuala_Lumpur', TH: 'Asia/Bangkok', ID: 'Asia/Jakarta', PH: 'Asia/Manila',
  HK: 'Asia/Hong_Kong', CN: 'Asia/Shanghai', TW: 'Asia/Taipei', KR: 'Asia/Seoul', JP: 'Asia/Tokyo',
  AU: 'Australia/Sydney', NZ: 'Pacific/Auckland', ZA: 'Africa/Johannesburg', NG: 'Africa/Lagos', KE: 'Africa/Nairobi',
  EG: 'Africa/Cairo',
};

const valid = new Map<string, boolean>();

function usable(zone: string): boolean {
  let ok = valid.get(zone);
  if (ok === undefined) {
    ok = isTimeZone(zone);
    valid.set(zone, ok);
  }
  return ok;
}

export function zoneForCountry(country: string | null | undefined): string | undefined {
  return country ? COUNTRY_ZONES[country.toUpperCase()] : undefined;
}

export function recipientZone(customer: { timezone?: string | null; country?: string | null }, workspaceDefault?: string): string {
  if (customer.timezone && usable(customer.timezone)) return customer.timezone;
  return zoneForCountry(customer.country) ?? workspaceDefault ?? 'UTC';
}
