# Everyone who can be paged, by team. Live users are matched by email.

user "amara_okoye" {
  name      = "Amara Okoye"
  email     = "amara.okoye@example.com"
  phone     = "+442071838750"
  role      = "owner"
  time_zone = "Europe/London"
}

user "ben_hughes" {
  name      = "Ben Hughes"
  email     = "ben.hughes@example.com"
  time_zone = "Europe/London"
}

user "chen_wei" {
  name      = "Chen Wei"
  email     = "chen.wei@example.com"
  phone     = "+442079460123"
  time_zone = "Europe/London"
}

user "dana_kowalski" {
  name      = "Dana Kowalski"
  email     = "dana.kowalski@example.com"
  role      = "integrations_admin"
  time_zone = "Europe/London"
}

user "elif_sahin" {
  name      = "Elif \u015eahin"
  email     = "elif.sahin@example.com"
  time_zone = "Europe/London"
}

user "finn_murphy" {
  name      = "Finn Murphy"
  email     = "finn.murphy@example.com"
  role      = "observer"
  time_zone = "Europe/London"
}

user "grace_lee" {
  name      = "Grace Lee"
  email     = "grace.lee@example.com"
  phone     = "+12125550143"
  role      = "admin"
  time_zone = "America/New_York"
}

user "hector_ramos" {
  name      = "H\u00e9ctor Ramos"
  email     = "hector.ramos@example.com"
  phone     = "+12125550178"
  time_zone = "America/New_York"
}

user "isabel_costa" {
  name      = "Isabel Costa"
  email     = "isabel.costa@example.com"
  time_zone = "America/New_York"
}

user "jamal_wright" {
  name      = "Jamal Wright"
  email     = "jamal.wright@example.com"
  time_zone = "America/New_York"
}

user "kenji_sato" {
  name      = "Kenji Sato"
  email     = "kenji.sato@example.com"
  time_zone = "America/New_York"
}

user "lena_fischer" {
  name      = "Lena Fischer"
  email     = "lena.fischer@example.com"
  role      = "observer"
  time_zone = "America/New_York"
}

user "mateo_silva" {
  name      = "Mateo Silva"
  email     = "mateo.silva@example.com"
  phone     = "+4930901820"
  time_zone = "Europe/Berlin"
}

user "nadia_haddad" {
  name      = "Nadia Haddad"
  email     = "nadia.haddad@example.com"
  time_zone = "Europe/Berlin"
}

user "oliver_brandt" {
  name      = "Oliver Brandt"
  email     = "oliver.brandt@example.com"
  role      = "integrations_admin"
  time_zone = "Europe/Berlin"
}

user "priya_nair" {
  name      = "Priya Nair"
  email     = "priya.nair@example.com"
  phone     = "+4915123456789"
  time_zone = "Europe/Berlin"
}

user "quentin_roux" {
  name      = "Quentin Roux"
  email     = "quentin.roux@example.com"
  time_zone = "Europe/Berlin"
}

user "rosa_martinez" {
  name      = "Rosa Mart\u00ednez"
  email     = "rosa.martinez@example.com"
  role      = "observer"
  time_zone = "Europe/Berlin"
}

user "sam_taylor" {
  name      = "Sam Taylor"
  email     = "sam.taylor@example.com"
  phone     = "+14155550132"
  time_zone = "America/Los_Angeles"
}

user "tomoko_ito" {
  name      = "Tomoko Ito"
  email     = "tomoko.ito@example.com"
  time_zone = "America/Los_Angeles"
}

user "umar_farouk" {
  name      = "Umar Farouk"
  email     = "umar.farouk@example.com"
  time_zone = "America/Los_Angeles"
}

user "vera_novak" {
  name      = "Vera Nov\u00e1k"
  email     = "vera.novak@example.com"
  time_zone = "America/Los_Angeles"
}

user "will_chen" {
  name      = "Will Chen"
  email     = "will.chen@example.com"
  time_zone = "America/Los_Angeles"
}

user "xia_lin" {
  name      = "Xia Lin"
  email     = "xia.lin@example.com"
  role      = "observer"
  time_zone = "America/Los_Angeles"
}

user "yusuf_demir" {
  name      = "Yusuf Demir"
  email     = "yusuf.demir@example.com"
  phone     = "+6562223344"
  role      = "admin"
  time_zone = "Asia/Singapore"
}

user "zoe_adams" {
  name      = "Zoe Adams"
  email     = "zoe.adams@example.com"
  time_zone = "Asia/Singapore"
}

user "arjun_mehta" {
  name      = "Arjun Mehta"
  email     = "arjun.mehta@example.com"
  phone     = "+6581234567"
  time_zone = "Asia/Singapore"
}

user "bianca_rossi" {
  name      = "Bianca Rossi"
  email     = "bianca.rossi@example.com"
  time_zone = "Asia/Singapore"
}

user "carlos_vega" {
  name      = "Carlos Vega"
  email     = "carlos.vega@example.com"
  time_zone = "Asia/Singapore"
}

user "divya_rao" {
  name      = "Divya Rao"
  email     = "divya.rao@example.com"
  role      = "observer"
  time_zone = "Asia/Singapore"
}
