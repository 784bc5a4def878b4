CREATE TABLE `rate_buckets` (
	`campaign_id` integer NOT NULL,
	`key` text NOT NULL,
	`next_at` real NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rate_buckets_uq` ON `rate_buckets` (`campaign_id`,`key`);--> statement-breakpoint
CREATE TABLE `workers` (
	`id` text PRIMARY KEY NOT NULL,
	`campaign_id` integer NOT NULL,
	`host` text NOT NULL,
	`pid` integer NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `workers_campaign_idx` ON `workers` (`campaign_id`,`heartbeat_at`);--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `claimed_by` text;