-- Same rental table as the other rental cases on purpose: each corpus case carries its own data so it runs alone.
CREATE TABLE rental_data (
  "Year" INT, "Month" INT, "Day" INT, "RentalCount" INT, "WeekDay" INT, "Holiday" INT, "Snow" INT, "FHoliday" INT, "FSnow" INT, "FWeekDay" INT
);
INSERT INTO rental_data ("Year", "Month", "Day", "RentalCount", "WeekDay", "Holiday", "Snow") VALUES
(2013, 1, 20, 445, 2, 1, 0), (2013, 2, 13, 40, 5, 0, 0), (2013, 3, 10, 456, 1, 0, 0),
(2013, 4, 3, 12, 4, 0, 1), (2013, 12, 1, 380, 1, 0, 1), (2013, 12, 24, 290, 3, 1, 1),
(2014, 1, 6, 38, 2, 0, 1), (2014, 1, 11, 450, 7, 0, 1), (2014, 2, 23, 610, 1, 0, 1),
(2014, 3, 2, 460, 1, 0, 1), (2014, 3, 18, 20, 3, 0, 0), (2014, 4, 21, 35, 2, 1, 0),
(2014, 12, 6, 420, 7, 0, 1), (2014, 12, 26, 598, 6, 1, 1),
(2015, 2, 11, 42, 4, 0, 0), (2015, 3, 29, 360, 1, 0, 0), (2015, 4, 22, 20, 4, 0, 0),
(2015, 3, 6, 42, 6, 0, 0), (2015, 2, 28, 405, 7, 0, 1), (2015, 1, 12, 38, 2, 0, 1);
