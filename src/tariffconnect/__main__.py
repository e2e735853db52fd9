from tariffconnect.cli import main

main()
