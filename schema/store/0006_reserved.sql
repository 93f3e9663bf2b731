-- Placeholder for migration 0006, reserved for the pipelines branch; dropped when that branch lands.
SELECT 1;
