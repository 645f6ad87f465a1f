from lexnorm.cli import console

console()
