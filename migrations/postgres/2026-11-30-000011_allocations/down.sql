DROP TABLE allocations;
