DROP TRIGGER transfer_tallies_delete;
DROP TRIGGER transfer_tallies_enter;
DROP TRIGGER transfer_tallies_leave;
DROP TRIGGER transfer_tallies_insert;
DROP TABLE transfer_tallies;
