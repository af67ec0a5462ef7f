from tdl_inbox.cli.main import main

raise SystemExit(main())
