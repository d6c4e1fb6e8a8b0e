-- Operators' changes to the appointment calendar: a half-day's capacity for one hall and
-- item, and the days a hall is closed. A booking reads both after locking its slot's row
-- (and the hall's day, by an advisory lock), and a change takes the same locks before it
-- checks the bookings, so none lands beyond a lowered capacity or on a holiday.
CREATE TABLE slot_capacity (
	hall     text NOT NULL,
	item     text NOT NULL,
	slot     text NOT NULL,
	capacity int NOT NULL CHECK (capacity >= 0),
	PRIMARY KEY (hall, item, slot)
);
CREATE TABLE holidays (
	hall text NOT NULL,
	day  text NOT NULL,
	PRIMARY KEY (hall, day)
);
