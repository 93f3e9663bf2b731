-- Placeholder for migration 0007, reserved for the drift branch; dropped when that branch lands.
SELECT 1;
