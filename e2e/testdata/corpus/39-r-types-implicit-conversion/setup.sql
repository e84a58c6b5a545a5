CREATE TABLE MyTable (    
 c1 int,    
 c2 varchar(10),    
 c3 uniqueidentifier    
);
INSERT INTO MyTable VALUES(1, 'Hello', '6E225611-4B58-4995-A0A5-554D19012EF1');
INSERT INTO MyTable VALUES(-11, 'world', '6732EA46-2D5D-430B-8A01-86E7F3351C3E');
