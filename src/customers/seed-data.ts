/** Reference data for demo customers: per country, its weight, time zones, locales and names. */
export interface CountryProfile {
  code: string;
  /** Share of customers (relative). */
  weight: number;
  /** IANA zones with relative weights. */
  zones: readonly (readonly [string, number])[];
  locales: readonly (readonly [string, number])[];
  first: readonly string[];
  last: readonly string[];
}

export const COUNTRIES: readonly CountryProfile[] = [
  {
    code: 'DE',
    weight: 24,
    zones: [['Europe/Berlin', 1]],
    locales: [['de-DE', 9], ['en-GB', 1]],
    first: ['Anna', 'Lukas', 'Lena', 'Jonas', 'Marie', 'Felix', 'Sophie', 'Paul', 'Jürgen', 'Hannah', 'Maximilian', 'Emma'],
    last: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann', 'Schäfer', 'Koch', 'Richter'],
  },
  {
    code: 'AT',
    weight: 5,
    zones: [['Europe/Vienna', 1]],
    locales: [['de-AT', 1]],
    first: ['Lukas', 'Anna', 'Tobias', 'Lea', 'David', 'Sarah', 'Florian', 'Julia'],
    last: ['Gruber', 'Huber', 'Bauer', 'Wagner', 'Pichler', 'Steiner', 'Moser', 'Mayer'],
  },
  {
    code: 'CH',
    weight: 5,
    zones: [['Europe/Zurich', 1]],
    locales: [['de-CH', 6], ['fr-CH', 3], ['it-CH', 1]],
    first: ['Noah', 'Mia', 'Luca', 'Lara', 'Elias', 'Chiara', 'Léon', 'Nina'],
    last: ['Meier', 'Keller', 'Brunner', 'Baumann', 'Frei', 'Zimmermann', 'Favre', 'Rossi'],
  },
  {
    code: 'FR',
    weight: 10,
    zones: [['Europe/Paris', 1]],
    locales: [['fr-FR', 1]],
    first: ['Camille', 'Louis', 'Léa', 'Hugo', 'Chloé', 'Jules', 'Manon', 'Gabriel', 'Inès', 'Arthur'],
    last: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau'],
  },
  {
    code: 'GB',
    weight: 10,
    zones: [['Europe/London', 1]],
    locales: [['en-GB', 1]],
    first: ['Oliver', 'Amelia', 'George', 'Isla', 'Harry', 'Ava', 'Jack', 'Olivia', 'Charlie', 'Emily'],
    last: ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Evans', 'Walker'],
  },
  {
    code: 'US',
    weight: 16,
    zones: [['America/New_York', 45], ['America/Chicago', 25], ['America/Denver', 8], ['America/Los_Angeles', 20], ['Pacific/Honolulu', 2]],
    locales: [['en-US', 9], ['es-US', 1]],
    first: ['James', 'Mary', 'Michael', 'Jennifer', 'David', 'Linda', 'Daniel', 'Jessica', 'Sofia', 'Ethan'],
    last: ['Smith', 'Johnson', 'Williams', 'Brown', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Anderson'],
  },
  {
    code: 'ES',
    weight: 6,
    zones: [['Europe/Madrid', 9], ['Atlantic/Canary', 1]],
    locales: [['es-ES', 8], ['ca-ES', 2]],
    first: ['Lucía', 'Hugo', 'Martina', 'Mateo', 'Sofía', 'Pablo', 'Julia', 'Álvaro'],
    last: ['García', 'Fernández', 'González', 'Rodríguez', 'López', 'Martínez', 'Sánchez', 'Pérez'],
  },
  {
    code: 'IT',
    weight: 6,
    zones: [['Europe/Rome', 1]],
    locales: [['it-IT', 1]],
    first: ['Giulia', 'Leonardo', 'Sofia', 'Francesco', 'Aurora', 'Alessandro', 'Ginevra', 'Lorenzo'],
    last: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci'],
  },
  {
    code: 'NL',
    weight: 5,
    zones: [['Europe/Amsterdam', 1]],
    locales: [['nl-NL', 1]],
    first: ['Daan', 'Emma', 'Sem', 'Julia', 'Lucas', 'Tess', 'Finn', 'Sophie'],
    last: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'Bakker', 'Visser', 'Smit', 'Meijer'],
  },
  {
    code: 'BR',
    weight: 6,
    zones: [['America/Sao_Paulo', 8], ['America/Manaus', 1], ['America/Recife', 1]],
    locales: [['pt-BR', 1]],
    first: ['Miguel', 'Helena', 'Arthur', 'Alice', 'Gael', 'Laura', 'Heitor', 'Valentina'],
    last: ['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira'],
  },
  {
    code: 'IN',
    weight: 4,
    zones: [['Asia/Kolkata', 1]],
    locales: [['en-IN', 7], ['hi-IN', 3]],
    first: ['Aarav', 'Saanvi', 'Vihaan', 'Ananya', 'Arjun', 'Diya', 'Reyansh', 'Isha'],
    last: ['Sharma', 'Patel', 'Singh', 'Kumar', 'Gupta', 'Reddy', 'Iyer', 'Nair'],
  },
  {
    code: 'JP',
    weight: 3,
    zones: [['Asia/Tokyo', 1]],
    locales: [['ja-JP', 1]],
    first: ['Haruto', 'Yui', 'Sota', 'Hina', 'Yuto', 'Sakura', 'Ren', 'Aoi'],
    last: ['Sato', 'Suzuki', 'Takahashi', 'Tanaka', 'Watanabe', 'Ito', 'Yamamoto', 'Nakamura'],
  },
];

export const PLANS = [
  ['free', 70],
  ['pro', 25],
  ['enterprise', 5],
] as const;

export const SOURCES = [
  ['organic', 35],
  ['ads', 25],
  ['referral', 15],
  ['newsletter', 10],
  ['store', 10],
  ['partner', 5],
] as const;

/** Reserved example domains (RFC 2606): demo addresses can never reach a real mailbox. */
export const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'] as const;
