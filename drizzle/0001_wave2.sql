CREATE TABLE `campaign_links` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`link_id` integer NOT NULL,
	`url` text NOT NULL,
	`kind` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_links_campaign_url_uq` ON `campaign_links` (`campaign_id`,`url`);--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_links_campaign_link_uq` ON `campaign_links` (`campaign_id`,`link_id`);--> statement-breakpoint
CREATE TABLE `engagement_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`ledger_id` integer NOT NULL,
	`customer_id` integer NOT NULL,
	`kind` text NOT NULL,
	`link_id` integer DEFAULT 0 NOT NULL,
	`machine` integer DEFAULT 0 NOT NULL,
	`reason` text,
	`user_agent_class` text,
	`at` integer NOT NULL,
	`source` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `engagement_events_campaign_idx` ON `engagement_events` (`campaign_id`,`kind`,`at`);--> statement-breakpoint
CREATE INDEX `engagement_events_customer_idx` ON `engagement_events` (`customer_id`,`at`);--> statement-breakpoint
CREATE TABLE `engagement_hourly` (
	`campaign_id` integer NOT NULL,
	`link_id` integer DEFAULT 0 NOT NULL,
	`hour` integer NOT NULL,
	`kind` text NOT NULL,
	`machine` integer DEFAULT 0 NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`unique_count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `link_id`, `hour`, `kind`, `machine`)
);
--> statement-breakpoint
CREATE TABLE `engagement_keys` (
	`campaign_id` integer PRIMARY KEY NOT NULL,
	`key` blob NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `engagement_seen` (
	`campaign_id` integer NOT NULL,
	`kind` text NOT NULL,
	`link_id` integer DEFAULT 0 NOT NULL,
	`machine` integer DEFAULT 0 NOT NULL,
	`digest` blob NOT NULL,
	PRIMARY KEY(`campaign_id`, `kind`, `link_id`, `machine`, `digest`)
);
--> statement-breakpoint
CREATE TABLE `rate_buckets` (
	`campaign_id` integer NOT NULL,
	`key` text NOT NULL,
	`tokens` real NOT NULL,
	`updated_at` integer NOT NULL
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