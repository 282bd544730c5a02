; Inno Setup script for GCMC Desktop (built by installer/build.py, which passes
; /DAppVersion, /DSourceDir and /DIconFile). Per-user install: no administrator rights needed.
; Uninstalling keeps the user's data (%LOCALAPPDATA%\GCMC\gcmc-desktop) unless they tick the
; box the uninstaller offers.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{6F2B7C8E-3D1A-4E5B-9C7D-GCMCDESKTOP01}
AppName=GCMC Desktop
AppVersion={#AppVersion}
AppPublisher=GCMC
DefaultDirName={localappdata}\Programs\GCMC Desktop
DefaultGroupName=GCMC Desktop
PrivilegesRequired=lowest
DisableProgramGroupPage=yes
OutputBaseFilename=gcmc-desktop-{#AppVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\gcmc-desktop.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{userprograms}\GCMC Desktop"; Filename: "{app}\gcmc-desktop.exe"
Name: "{userdesktop}\GCMC Desktop"; Filename: "{app}\gcmc-desktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\gcmc-desktop.exe"; Description: "Start GCMC Desktop"; Flags: nowait postinstall skipifsilent

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    if MsgBox('Also delete your GCMC Desktop data (the local database, documents and backups)?',
              mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      DelTree(ExpandConstant('{localappdata}\GCMC\gcmc-desktop'), True, True, True);
end;
