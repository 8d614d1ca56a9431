import Commands

await BerthCommand.execute()
