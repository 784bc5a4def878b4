CREATE TABLE `campaign_recipients` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`customer_id` integer NOT NULL,
	`address` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`sender` text,
	`provider_message_id` text,
	`error_code` text,
	`error_message` text,
	`next_attempt_at` integer,
	`claimed_at` integer,
	`sent_at` integer,
	`updated_at` integer NOT NULL,
	`delivery_status` text,
	`delivery_at` integer,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_recipients_campaign_address_uq` ON `campaign_recipients` (`campaign_id`,`address`);--> statement-breakpoint
CREATE INDEX `campaign_recipients_claim_idx` ON `campaign_recipients` (`campaign_id`,`state`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `campaign_recipients_provider_id_idx` ON `campaign_recipients` (`provider_message_id`);--> statement-breakpoint
CREATE INDEX `campaign_recipients_customer_idx` ON `campaign_recipients` (`customer_id`,`sent_at`);--> statement-breakpoint
CREATE TABLE `campaigns` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`channel` text NOT NULL,
	`segment` text NOT NULL,
	`provider` text NOT NULL,
	`template` text NOT NULL,
	`state` text DEFAULT 'draft' NOT NULL,
	`schedule_at` integer,
	`throttle` text,
	`settings` text DEFAULT '{}' NOT NULL,
	`plan` text,
	`plan_hash` text,
	`pause_reason` text,
	`lease_owner` text,
	`lease_expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`prepared_at` integer,
	`started_at` integer,
	`completed_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaigns_name_uq` ON `campaigns` (`name`);--> statement-breakpoint
CREATE INDEX `campaigns_state_schedule_idx` ON `campaigns` (`state`,`schedule_at`);--> statement-breakpoint
CREATE TABLE `customers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`external_id` text,
	`email` text,
	`phone` text,
	`first_name` text,
	`last_name` text,
	`country` text,
	`timezone` text,
	`locale` text,
	`lifetime_value` real,
	`order_count` integer,
	`last_order_at` integer,
	`created_at` integer NOT NULL,
	`email_opt_in` integer DEFAULT 0 NOT NULL,
	`sms_opt_in` integer DEFAULT 0 NOT NULL,
	`whatsapp_opt_in` integer DEFAULT 0 NOT NULL,
	`attributes` text DEFAULT '{}' NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customers_external_id_uq` ON `customers` (`external_id`) WHERE external_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `customers_email_idx` ON `customers` (`email`);--> statement-breakpoint
CREATE INDEX `customers_phone_idx` ON `customers` (`phone`);--> statement-breakpoint
CREATE TABLE `feedback_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`kind` text NOT NULL,
	`provider_message_id` text,
	`address` text,
	`payload` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `feedback_events_provider_id_idx` ON `feedback_events` (`provider_message_id`);--> statement-breakpoint
CREATE TABLE `sender_usage` (
	`provider` text NOT NULL,
	`sender` text NOT NULL,
	`day` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sender_usage_uq` ON `sender_usage` (`provider`,`sender`,`day`);--> statement-breakpoint
CREATE TABLE `suppressions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`channel` text NOT NULL,
	`address` text NOT NULL,
	`reason` text NOT NULL,
	`source` text,
	`note` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `suppressions_channel_address_uq` ON `suppressions` (`channel`,`address`);