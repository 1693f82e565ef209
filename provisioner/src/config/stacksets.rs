//! `[stacksets]`: the permission model and the keys that belong to it; a key of the other
//! model is an error rather than silently ignored.

use super::error::line_of;
use super::ids::{is_organization_id, is_ou_id, is_role_arn, is_role_name};
use super::raw;
use super::validate::Validator;
use super::{
    ConfigError, StackSetPermissions, StackSetSettings, DEFAULT_ADMINISTRATION_ROLE_NAME,
    DEFAULT_EXECUTION_ROLE_NAME,
};

impl Validator<'_> {
    pub(super) fn stacksets(
        &self,
        table: toml::Spanned<raw::StackSets>,
    ) -> Result<StackSetSettings, ConfigError> {
        const SELF: &str = "self-managed";
        const SERVICE: &str = "service-managed";
        let raw = table.get_ref();
        let service_managed = match &raw.permission_model {
            None => false,
            Some(m) => match m.get_ref().trim() {
                SELF => false,
                SERVICE => true,
                other => {
                    return Err(self.err(
                        "stacksets.permission_model",
                        Some(m),
                        format!("{other:?} is not a stack set permission model"),
                        "use \"self-managed\" (roles you create; instances in the [[accounts]] ids) or \"service-managed\" (AWS Organizations; instances in every account of organizational_units)",
                    ))
                }
            },
        };
        // A key that belongs to the other permission model.
        let misplaced = |key: &str, line: Option<usize>, model: &str, fix: &str| ConfigError {
            path: self.path.to_path_buf(),
            line,
            key: Some(format!("stacksets.{key}")),
            problem: format!("{key} applies to permission_model = \"{model}\" only"),
            fix: fix.to_string(),
        };
        let line = |start: usize| Some(line_of(self.text, start));
        if !service_managed {
            let service_keys = [
                (
                    "organizational_units",
                    raw.organizational_units.as_ref().map(|v| v.span().start),
                ),
                (
                    "organization_id",
                    raw.organization_id.as_ref().map(|v| v.span().start),
                ),
                (
                    "auto_deployment",
                    raw.auto_deployment.as_ref().map(|v| v.span().start),
                ),
            ];
            if let Some((key, Some(start))) = service_keys.into_iter().find(|(_, s)| s.is_some()) {
                return Err(misplaced(
                    key,
                    line(start),
                    SERVICE,
                    "remove it, or set permission_model = \"service-managed\" to deploy through AWS Organizations",
                ));
            }
            let administration_role_arn = match &raw.administration_role_arn {
                None => None,
                Some(arn) => {
                    let text = arn.get_ref().trim();
                    if !is_role_arn(text) {
                        return Err(self.err(
                            "stacksets.administration_role_arn",
                            Some(arn),
                            format!("{text:?} is not an IAM role ARN"),
                            format!("give the full ARN, e.g. \"arn:aws:iam::111111111111:role/{DEFAULT_ADMINISTRATION_ROLE_NAME}\", or leave it out to use that role in your own account"),
                        ));
                    }
                    Some(text.to_string())
                }
            };
            let execution_role_name = match &raw.execution_role_name {
                None => DEFAULT_EXECUTION_ROLE_NAME.to_string(),
                Some(name) => {
                    let text = name.get_ref().trim();
                    if !is_role_name(text) {
                        return Err(self.err(
                            "stacksets.execution_role_name",
                            Some(name),
                            format!("{text:?} is not an IAM role name"),
                            format!("give the name (not the ARN) of the role every target account has for StackSets, e.g. \"{DEFAULT_EXECUTION_ROLE_NAME}\" (the default)"),
                        ));
                    }
                    text.to_string()
                }
            };
            return Ok(StackSetSettings {
                permissions: StackSetPermissions::SelfManaged {
                    administration_role_arn,
                    execution_role_name,
                },
            });
        }

        let self_keys = [
            (
                "administration_role_arn",
                raw.administration_role_arn.as_ref().map(|v| v.span().start),
            ),
            (
                "execution_role_name",
                raw.execution_role_name.as_ref().map(|v| v.span().start),
            ),
        ];
        if let Some((key, Some(start))) = self_keys.into_iter().find(|(_, s)| s.is_some()) {
            return Err(misplaced(
                key,
                line(start),
                SELF,
                "remove it: with service-managed permissions AWS Organizations creates the roles StackSets uses",
            ));
        }
        let Some(units) = &raw.organizational_units else {
            return Err(self.err(
                "stacksets.organizational_units",
                Some(&table),
                "service-managed stack sets need the organizational units to deploy to",
                "add organizational_units = [\"ou-abcd-12345678\"] (the OU ids from AWS Organizations)",
            ));
        };
        let organizational_units = self.unique_list(
            "stacksets.organizational_units",
            units,
            is_ou_id,
            "is not an organizational unit id",
            "use the OU's id as AWS Organizations shows it: \"ou-\" followed by the root part and the unit part, e.g. \"ou-abcd-12345678\"",
        )?;
        let Some(org) = &raw.organization_id else {
            return Err(self.err(
                "stacksets.organization_id",
                Some(&table),
                "service-managed stack sets need the organization id: the code bucket grants read access to the organization's accounts",
                "add organization_id = \"o-...\" (AWS Organizations shows it; aws organizations describe-organization)",
            ));
        };
        let organization_id = org.get_ref().trim();
        if !is_organization_id(organization_id) {
            return Err(self.err(
                "stacksets.organization_id",
                Some(org),
                format!("{organization_id:?} is not an AWS Organizations id"),
                "use the organization's id: \"o-\" followed by 10 to 32 lowercase letters and digits",
            ));
        }
        Ok(StackSetSettings {
            permissions: StackSetPermissions::ServiceManaged {
                organizational_units,
                organization_id: organization_id.to_string(),
                auto_deployment: raw.auto_deployment.as_ref().is_none_or(|a| *a.get_ref()),
            },
        })
    }
}
