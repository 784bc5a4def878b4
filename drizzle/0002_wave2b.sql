CREATE TABLE `forgotten_addresses` (
	`hash` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `variant` text;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `run` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `archived_at` integer;--> statement-breakpoint
ALTER TABLE `rate_buckets` ADD `next_at` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rate_buckets` DROP COLUMN `tokens`;--> statement-breakpoint
ALTER TABLE `rate_buckets` DROP COLUMN `updated_at`;