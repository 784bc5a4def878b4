CREATE TABLE "forgotten_addresses" (
	"hash" text PRIMARY KEY NOT NULL,
	"created_at" bigint NOT NULL
);
