import Commands

await BerthCommand.main()
