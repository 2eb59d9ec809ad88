from gazertc.cli import main

raise SystemExit(main())
